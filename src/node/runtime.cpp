#include "node/runtime.h"

#include "consensus/node.h"
#include "consensus/rocksdb_store.h"
#include "consensus/signature.h"
#include "ledger/tables.h"
#include "ledger/transaction.h"
#include "net/gossip.h"
#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <variant>

namespace fleek::node {

namespace {

// First byte of a request-channel frame.
// `transaction` is a first hop (a receiver outside the committee routes it on once more);
// `transaction_relayed` is a second hop (taken by a member, dropped by anyone else).
enum class RequestKind : uint8_t { sync = 0, transaction = 1, transaction_relayed = 2 };

uint64_t now_us() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

Bytes tagged(uint8_t tag, ByteSpan body) {
    Bytes out;
    out.reserve(body.size() + 1);
    out.push_back(tag);
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

struct FrameItem {
    crypto::NodePublicKey from;
    net::Channel channel;
    Bytes payload;
};
struct TransactionItem {
    Bytes bytes;
};
struct RawTransactionItem {  // benchmark ingest: straight to our worker
    Bytes bytes;
};
struct PublishItem {  // a gossip message from another thread (RuntimeHooks' owner)
    net::Topic topic;
    Bytes payload;
};
using InboxItem = std::variant<FrameItem, TransactionItem, RawTransactionItem, PublishItem>;

// The sender field as routing and nonce ordering key it: a tag and the key or address.
Bytes sender_key(const ledger::Sender& sender) {
    codec::Writer w;
    std::visit(
        [&](const auto& typed) {
            using T = std::decay_t<decltype(typed)>;
            if constexpr (std::is_same_v<T, ledger::AccountSender>) {
                w.u8(2), w.fixed(typed.address);
            } else if constexpr (std::is_same_v<T, ledger::NodeSender>) {
                w.u8(0), w.fixed(typed.key);
            } else {
                w.u8(1), w.fixed(typed.key);
            }
        },
        sender);
    return w.take();
}

size_t route_index(const Hash32& key, size_t committee_size) {
    uint64_t pick = 0;
    for (size_t i = 0; i < 8; ++i) pick = (pick << 8) | key[i];
    return static_cast<size_t>(pick % std::max<size_t>(1, committee_size));
}

}  // namespace

size_t sender_route(const ledger::Sender& sender, size_t committee_size) {
    return route_index(crypto::blake3(sender_key(sender)), committee_size);
}

struct Runtime::Impl {
    RuntimeOptions options;
    crypto::NodeSecretKey node_key;
    crypto::ConsensusSecretKey consensus_key;

    std::unique_ptr<Chain> chain;
    std::mutex chain_mutex;  // the core thread holds it while it changes the chain

    std::unique_ptr<net::Transport> transport;
    std::unique_ptr<net::Gossip> gossip;

    // The consensus instance of `consensus_epoch`, when this node is in its committee.
    std::optional<consensus::Committee> committee;
    ledger::Epoch consensus_epoch = 0;
    std::unique_ptr<consensus::RocksDbStore> consensus_store;
    std::unique_ptr<consensus::Node> consensus;
    std::map<crypto::NodePublicKey, consensus::AuthorityIndex> authority_by_key;
    std::vector<crypto::NodePublicKey> committee_keys;  // of the chain's current epoch
    std::deque<Bytes> waiting_transactions;             // refused by a busy worker; retried
    // Per-sender nonce order for this worker: a transaction whose nonce is ahead of the next one
    // waits (bounded) until the gap fills, since the ledger takes nonce n + 1 only.
    struct SenderQueue {
        uint64_t next_nonce = 0;
        uint64_t touched_ms = 0;
        std::map<uint64_t, std::pair<Bytes, uint64_t>> held;  // nonce -> (transaction, received ms)
    };
    std::map<Bytes, SenderQueue> senders;
    size_t held_transactions = 0;

    // Transactions taken from clients, by digest, until a receipt shows they executed
    // (RuntimeOptions::resend_after_ms). `resend_due` orders them by due time; an entry whose
    // due time no longer matches the map is stale and skipped.
    struct AwaitingReceipt {
        Bytes transaction;
        uint64_t due_ms = 0;
        uint32_t resends = 0;
    };
    std::map<Hash32, AwaitingReceipt> awaiting_receipt;
    std::multimap<uint64_t, Hash32> resend_due;
    std::atomic<uint64_t> resent{0};

    std::mutex inbox_mutex;
    std::condition_variable inbox_ready;
    std::deque<InboxItem> inbox;
    bool stopping = false;
    std::thread core;

    std::mt19937_64 rng;
    uint64_t known_height = 0;
    uint64_t last_sync_ms = 0;
    uint64_t last_progress_ms = 0;
    uint64_t last_peers_ms = 0;
    uint64_t last_height = 0;
    std::vector<crypto::NodePublicKey> peer_keys;
    std::set<crypto::NodePublicKey> connected_peers;  // refreshed every tick
    std::map<crypto::NodePublicKey, uint64_t> last_connected_ms;
    uint64_t started_ms = 0;
    std::vector<Bytes> to_publish_blocks;  // certified blocks to gossip once a handler returns
    // The epoch protocol transaction in flight (its nonce), so one is not sent twice.
    uint64_t driver_nonce = 0;
    uint64_t driver_sent_ms = 0;
    uint64_t last_driver_ms = 0;

    std::mutex status_mutex;
    RuntimeStatus status;
    std::atomic<uint64_t> submitted{0};
    std::atomic<uint64_t> forwarded{0};
    std::atomic<uint64_t> refused{0};
    std::atomic<uint64_t> executed_transactions{0};
    std::atomic<uint64_t> executed_blocks{0};
    bool failed = false;

    Impl(RuntimeOptions runtime_options, const crypto::NodeSecretKey& node, const crypto::ConsensusSecretKey& consensus_secret)
        : options(std::move(runtime_options)),
          node_key(node.clone()),
          consensus_key(crypto::ConsensusSecretKey::from_bytes(consensus_secret.to_bytes().view()).value()) {
        uint64_t seed = 0;
        for (size_t i = 0; i < 8; ++i) seed = (seed << 8) | node_key.public_key().bytes()[i];
        rng.seed(seed ^ now_us());
    }

    // ---- inbox --------------------------------------------------------------------------------

    bool push(InboxItem item) {
        {
            std::lock_guard lock(inbox_mutex);
            if (stopping || inbox.size() >= options.inbox_max) return false;
            inbox.push_back(std::move(item));
        }
        inbox_ready.notify_one();
        return true;
    }

    void run() {
        while (true) {
            std::deque<InboxItem> items;
            {
                std::unique_lock lock(inbox_mutex);
                const uint64_t now = now_us();
                uint64_t wake = now + 50'000;
                if (consensus) wake = std::min<uint64_t>(wake, std::max<uint64_t>(consensus->next_wakeup(), now + 1'000));
                inbox_ready.wait_for(lock, std::chrono::microseconds(wake - now), [&] { return stopping || !inbox.empty(); });
                if (stopping) return;
                items.swap(inbox);
            }
            for (auto& item : items) {
                if (failed) break;
                if (auto* frame = std::get_if<FrameItem>(&item)) {
                    on_frame(*frame);
                } else if (auto* transaction = std::get_if<TransactionItem>(&item)) {
                    on_transaction(std::move(transaction->bytes));
                } else if (auto* publish = std::get_if<PublishItem>(&item)) {
                    gossip->publish(publish->topic, std::move(publish->payload), now_us() / 1000);
                } else if (consensus) {
                    submit_local(std::move(std::get<RawTransactionItem>(item).bytes));
                } else {
                    ++refused;
                }
            }
            if (failed) return;
            tick();
            update_status();
        }
    }

    // ---- consensus -----------------------------------------------------------------------------

    // Starts the consensus instance of the chain's current epoch if this node is in its
    // committee, and drops the previous one.
    void reconfigure() {
        const ledger::Epoch epoch = chain->ledger().epoch();
        const auto members = chain->ledger().current_committee();
        committee_keys.clear();
        for (const auto& member : members) committee_keys.push_back(member.node_key);
        if (consensus && consensus_epoch == epoch) return;
        // Transactions this worker still holds (nonce order, back-pressure) go to the new
        // committee. Those already in the old instance's batches but not committed are lost with
        // it: their receipts never appear and clients send them again.
        std::vector<Bytes> pending(std::make_move_iterator(waiting_transactions.begin()),
                                   std::make_move_iterator(waiting_transactions.end()));
        waiting_transactions.clear();
        for (auto& [sender, queue] : senders) {
            for (auto& [nonce, held] : queue.held) pending.push_back(std::move(held.first));
        }
        senders.clear();
        held_transactions = 0;
        start_instance(epoch, members);
        for (auto& transaction : pending) route(std::move(transaction), RequestKind::transaction);
    }

    void start_instance(ledger::Epoch epoch, const std::vector<ledger::CommitteeMember>& members) {
        consensus.reset();
        consensus_store.reset();
        committee.reset();
        authority_by_key.clear();
        consensus_epoch = epoch;
        const bool member = std::any_of(members.begin(), members.end(), [&](const ledger::CommitteeMember& m) {
            return m.consensus_key == consensus_key.public_key();
        });
        // Stores of epochs before the previous one are not needed any more.
        std::error_code ignored;
        if (std::filesystem::exists(options.consensus_dir, ignored)) {
            for (const auto& entry : std::filesystem::directory_iterator(options.consensus_dir, ignored)) {
                const std::string name = entry.path().filename().string();
                if (name.rfind("epoch-", 0) != 0) continue;
                const uint64_t stored_epoch = std::strtoull(name.c_str() + 6, nullptr, 10);
                if (stored_epoch + 1 < epoch) std::filesystem::remove_all(entry.path(), ignored);
            }
        }
        if (!member) {
            FLEEK_LOG_INFO("runtime", "epoch {}: not in the committee; following certified blocks", epoch);
            return;
        }
        std::vector<consensus::Member> consensus_members;
        for (const auto& m : members) consensus_members.push_back(consensus::Member{m.node_key, m.consensus_key});
        auto created = consensus::Committee::create(epoch, consensus_members);
        if (!created) {
            FLEEK_LOG_ERROR("runtime", "epoch {}: invalid committee: {}", epoch, consensus::to_string(created.error()));
            return;
        }
        committee = std::move(*created);
        for (consensus::AuthorityIndex a = 0; a < committee->size(); ++a) authority_by_key[committee->member(a).node_key] = a;
        const auto me = committee->index_of(consensus_key.public_key());
        FLEEK_ASSERT(me.has_value());
        auto store = consensus::RocksDbStore::open(options.consensus_dir / fmt::format("epoch-{}", epoch));
        if (!store) {
            FLEEK_LOG_ERROR("runtime", "cannot open the consensus store: {}", store.error());
            failed = true;
            return;
        }
        consensus_store = std::move(*store);
        consensus::Node::Options node_options;
        node_options.parameters = options.consensus;
        node_options.rng_seed = rng();
        node_options.next_output_index = chain->next_output_index(epoch);
        auto scheme = consensus::make_bls_scheme(*committee, crypto::ConsensusSecretKey::from_bytes(consensus_key.to_bytes().view()).value());
        consensus = std::make_unique<consensus::Node>(*committee, *me, scheme, *consensus_store, node_options, now_us());
        FLEEK_LOG_INFO("runtime", "epoch {}: committee member {} of {}; consensus resumes at output {}", epoch, *me,
                       committee->size(), *node_options.next_output_index);
        flush_consensus();
    }

    void flush_consensus() {
        if (!consensus) return;
        for (auto& out : consensus->take_outbound()) {
            const crypto::NodePublicKey& to = committee->member(out.to).node_key;
            (void)transport->send(to, net::Channel::consensus, tagged(static_cast<uint8_t>(out.plane), out.bytes));
        }
        auto outputs = consensus->take_output();
        if (consensus->halted()) {
            FLEEK_LOG_ERROR("runtime", "consensus stopped after a storage failure; the node must restart");
            failed = true;
            return;
        }
        bool epoch_changed = false;
        for (const auto& output : outputs) {
            std::vector<ExecutedBlock> executed;
            {
                std::lock_guard lock(chain_mutex);
                auto result = chain->execute_output(consensus_epoch, output);
                if (!result) {
                    FLEEK_LOG_ERROR("runtime", "executing sub-DAG {} failed: {}", output.sub_dag_index, to_string(result.error()));
                    if (result.error() == ChainError::storage) failed = true;
                    return;
                }
                executed = std::move(*result);
            }
            for (const auto& block : executed) {
                executed_transactions += block.block.block.transactions.size();
                ++executed_blocks;
                const auto signature = sign_block(consensus_key, *block.block.block.epoch, block.result.height, block.digest,
                                                  block.result.state_root);
                on_signature_result(add_signature(signature));
                gossip->publish(net::Topic::block_certificates, codec::encode(signature), now_us() / 1000);
                epoch_changed = epoch_changed || block.result.epoch_changed;
            }
        }
        publish_pending_blocks();
        if (epoch_changed) reconfigure();
    }

    Result<std::optional<ledger::BlockCertificate>, ChainError> add_signature(const BlockSignature& signature) {
        std::lock_guard lock(chain_mutex);
        return chain->add_signature(signature);
    }

    // A completed certificate: one member per height (height mod committee size) gossips the
    // certified block for the nodes outside the committee; they sync from anyone if it is lost.
    void on_signature_result(const Result<std::optional<ledger::BlockCertificate>, ChainError>& result) {
        if (result && *result && consensus && committee &&
            (*result)->height % committee->size() == consensus->index()) {
            std::lock_guard lock(chain_mutex);
            if (auto block = chain->certified_block((*result)->height)) to_publish_blocks.push_back(codec::encode(*block));
        }
    }

    void publish_pending_blocks() {
        auto blocks = std::exchange(to_publish_blocks, {});
        for (auto& block : blocks) gossip->publish(net::Topic::blocks, std::move(block), now_us() / 1000);
    }

    // ---- inputs --------------------------------------------------------------------------------

    void on_frame(FrameItem& frame) {
        switch (frame.channel) {
            case net::Channel::consensus: {
                auto authority = authority_by_key.find(frame.from);
                if (!consensus || authority == authority_by_key.end() || frame.payload.empty() || frame.payload[0] > 1) {
                    ++refused;
                    return;
                }
                const auto plane = static_cast<consensus::Plane>(frame.payload[0]);
                consensus->on_message(authority->second, plane, ByteSpan(frame.payload).subspan(1), now_us());
                flush_consensus();
                return;
            }
            case net::Channel::gossip:
                gossip->on_frame(frame.from, frame.payload, now_us() / 1000);
                publish_pending_blocks();
                return;
            case net::Channel::request: on_request(frame); return;
            case net::Channel::sync: on_sync_response(frame); return;
            case net::Channel::content: break;  // peer content transfer: not served by the runtime
        }
        ++refused;
    }

    void on_request(const FrameItem& frame) {
        if (frame.payload.empty()) {
            ++refused;
            return;
        }
        const ByteSpan body = ByteSpan(frame.payload).subspan(1);
        switch (frame.payload[0]) {
            case static_cast<uint8_t>(RequestKind::sync): {
                auto request = codec::decode<SyncRequest>(body);
                if (!request) {
                    ++refused;
                    return;
                }
                SyncResponse response;
                {
                    std::lock_guard lock(chain_mutex);
                    response.peer_height = chain->height();
                    size_t bytes = 0;
                    for (uint64_t h = request->from_height; h < request->from_height + request->max_blocks; ++h) {
                        auto block = chain->certified_block(h);
                        if (!block) break;
                        bytes += codec::encode(*block).size();
                        response.blocks.push_back(std::move(*block));
                        if (bytes > (size_t{8} << 20)) break;  // frames stay well under the transport's limit
                    }
                }
                (void)transport->send(frame.from, net::Channel::sync, codec::encode(response));
                return;
            }
            case static_cast<uint8_t>(RequestKind::transaction):
                // A member takes it; a node that is not (any more) routes it on, once.
                if (consensus) {
                    submit_in_order(Bytes(body.begin(), body.end()), now_us() / 1000);
                } else {
                    route(Bytes(body.begin(), body.end()), RequestKind::transaction_relayed);
                }
                return;
            case static_cast<uint8_t>(RequestKind::transaction_relayed):
                if (consensus) {
                    submit_in_order(Bytes(body.begin(), body.end()), now_us() / 1000);
                } else {
                    ++refused;
                }
                return;
            default: ++refused; return;
        }
    }

    void on_sync_response(const FrameItem& frame) {
        auto response = codec::decode<SyncResponse>(frame.payload);
        if (!response) {
            ++refused;
            return;
        }
        known_height = std::max(known_height, response->peer_height);
        bool epoch_changed = false;
        for (const auto& block : response->blocks) {
            std::lock_guard lock(chain_mutex);
            if (block.block.block.height <= chain->height()) {
                (void)chain->add_certificate(block.certificate);
                continue;
            }
            auto executed = chain->execute_certified(block);
            if (!executed) {
                FLEEK_LOG_WARN("runtime", "synced block {} refused: {}", block.block.block.height, to_string(executed.error()));
                if (executed.error() == ChainError::storage) failed = true;
                break;
            }
            executed_transactions += block.block.block.transactions.size();
            ++executed_blocks;
            epoch_changed = epoch_changed || executed->result.epoch_changed;
        }
        if (epoch_changed) reconfigure();
    }

    bool on_gossip_signature(ByteSpan payload) {
        auto signature = codec::decode<BlockSignature>(payload);
        if (!signature) return false;
        auto result = add_signature(*signature);
        if (!result) return result.error() != ChainError::bad_certificate;
        on_signature_result(result);
        return true;
    }

    bool on_gossip_block(ByteSpan payload) {
        auto block = codec::decode<CertifiedBlock>(payload);
        if (!block) return false;
        const uint64_t height = block->block.block.height;
        known_height = std::max(known_height, height);
        bool epoch_changed = false;
        {
            std::lock_guard lock(chain_mutex);
            if (height <= chain->height()) {
                auto added = chain->add_certificate(block->certificate);
                return added || added.error() != ChainError::bad_certificate;
            }
            if (height > chain->height() + 1) return true;  // sync fetches what lies between
            auto executed = chain->execute_certified(*block);
            if (!executed) {
                if (executed.error() == ChainError::storage) failed = true;
                return executed.error() != ChainError::bad_certificate && executed.error() != ChainError::state_mismatch;
            }
            epoch_changed = executed->result.epoch_changed;
            executed_transactions += block->block.block.transactions.size();
            ++executed_blocks;
        }
        if (epoch_changed) reconfigure();
        return true;
    }


    // The sender's last used nonce in the committed state (0 for a new sender).
    uint64_t stored_nonce(const ledger::Sender& sender) {
        std::lock_guard lock(chain_mutex);
        const ledger::Ledger& ledger = chain->ledger();
        return std::visit(
            [&](const auto& typed) -> uint64_t {
                using T = std::decay_t<decltype(typed)>;
                std::optional<ledger::NodeIndex> index;
                if constexpr (std::is_same_v<T, ledger::AccountSender>) {
                    auto account = ledger.account(crypto::AccountAddress::from_bytes(typed.address));
                    return account ? account->nonce : 0;
                } else if constexpr (std::is_same_v<T, ledger::NodeSender>) {
                    if (auto key = crypto::NodePublicKey::from_bytes(typed.key)) index = ledger.node_index(*key);
                } else {
                    if (auto key = crypto::ConsensusPublicKey::from_bytes(typed.key)) index = ledger.node_index(*key);
                }
                if (!index) return 0;
                auto node = ledger.node(*index);
                return node ? node->nonce : 0;
            },
            sender);
    }

    // Hands a transaction to our worker in its sender's nonce order.
    void submit_in_order(Bytes transaction, uint64_t now_ms) {
        auto decoded = codec::decode<ledger::SignedTransaction>(transaction);
        if (!decoded) {
            submit_local(std::move(transaction));  // the ledger gives it a `malformed` receipt
            return;
        }
        const uint64_t nonce = decoded->transaction.nonce;
        SenderQueue& queue = senders[sender_key(decoded->transaction.sender)];
        const uint64_t stored = stored_nonce(decoded->transaction.sender);
        // Forget what we sent long ago without effect (dropped at an epoch change, say).
        if (queue.touched_ms + 30'000 < now_ms) queue.next_nonce = 0;
        queue.next_nonce = std::max(queue.next_nonce, stored + 1);
        queue.touched_ms = now_ms;
        if (nonce != queue.next_nonce) {
            if (nonce > queue.next_nonce && nonce - queue.next_nonce <= 64 && held_transactions < options.inbox_max &&
                queue.held.size() < 64) {
                held_transactions += queue.held.emplace(nonce, std::make_pair(std::move(transaction), now_ms)).second ? 1 : 0;
                return;
            }
            submit_local(std::move(transaction));  // a replay or far ahead: the ledger says why
            return;
        }
        submit_local(std::move(transaction));
        ++queue.next_nonce;
        release_held(queue);
    }

    void release_held(SenderQueue& queue) {
        while (!queue.held.empty() && queue.held.begin()->first <= queue.next_nonce) {
            auto node = queue.held.extract(queue.held.begin());
            --held_transactions;
            if (node.key() == queue.next_nonce) {
                submit_local(std::move(node.mapped().first));
                ++queue.next_nonce;
            }
        }
    }

    // Held transactions whose gap did not fill within 30 s go to the worker anyway (the ledger
    // rejects them with bad_nonce, and the client learns it from the receipt).
    void expire_held(uint64_t now_ms) {
        for (auto it = senders.begin(); it != senders.end();) {
            SenderQueue& queue = it->second;
            while (!queue.held.empty() && queue.held.begin()->second.second + 30'000 < now_ms) {
                auto node = queue.held.extract(queue.held.begin());
                --held_transactions;
                submit_local(std::move(node.mapped().first));
                queue.next_nonce = std::max(queue.next_nonce, node.key() + 1);
                release_held(queue);
            }
            if (queue.held.empty() && queue.touched_ms + 60'000 < now_ms) {
                it = senders.erase(it);
            } else {
                ++it;
            }
        }
    }

    // The member a transaction goes to first (sender_route); undecodable bytes go by their hash.
    size_t route_of(ByteSpan transaction) const {
        auto decoded = codec::decode<ledger::SignedTransaction>(transaction);
        if (decoded) return sender_route(decoded->transaction.sender, committee_keys.size());
        return route_index(crypto::blake3(transaction), committee_keys.size());
    }

    // A transaction from a client or the epoch driver: decoded once here for its route and digest.
    void on_transaction(Bytes transaction) {
        ++submitted;
        auto decoded = codec::decode<ledger::SignedTransaction>(transaction);
        if (!decoded) {
            route(std::move(transaction), RequestKind::transaction);  // the ledger gives it a `malformed` receipt
            return;
        }
        await_receipt(decoded->transaction.digest(), transaction, now_us() / 1000);
        const size_t first = sender_route(decoded->transaction.sender, committee_keys.size());
        route(std::move(transaction), RequestKind::transaction, first);
    }

    void await_receipt(const Hash32& digest, const Bytes& transaction, uint64_t now_ms) {
        if (awaiting_receipt.size() >= options.resend_tracked_max) return;
        const uint64_t due_ms = now_ms + options.resend_after_ms;
        if (awaiting_receipt.emplace(digest, AwaitingReceipt{transaction, due_ms, 0}).second) resend_due.emplace(due_ms, digest);
    }

    // Routes again what is due and still has no receipt; forgets what has one.
    void resend_unexecuted(uint64_t now_ms) {
        while (!resend_due.empty() && resend_due.begin()->first <= now_ms) {
            auto [due_ms, digest] = *resend_due.begin();
            resend_due.erase(resend_due.begin());
            auto it = awaiting_receipt.find(digest);
            if (it == awaiting_receipt.end() || it->second.due_ms != due_ms) continue;
            if (chain->transaction(digest)) {
                awaiting_receipt.erase(it);
                continue;
            }
            AwaitingReceipt& entry = it->second;
            if (entry.resends >= options.resend_attempts) {
                FLEEK_LOG_WARN("runtime", "transaction {} has no receipt after {} resends; giving up", hex_encode(digest), entry.resends);
                awaiting_receipt.erase(it);
                continue;
            }
            ++entry.resends;
            entry.due_ms = now_ms + (options.resend_after_ms << entry.resends);
            resend_due.emplace(entry.due_ms, digest);
            ++resent;
            FLEEK_LOG_DEBUG("runtime", "transaction {} has no receipt yet; routing it again (resend {})", hex_encode(digest),
                            entry.resends);
            route(entry.transaction, RequestKind::transaction);
        }
    }

    void route(Bytes transaction, RequestKind kind) {
        const size_t first = route_of(transaction);
        route(std::move(transaction), kind, first);
    }

    // Hands the transaction to committee member `first` (in ledger order), or the next reachable one.
    void route(Bytes transaction, RequestKind kind, size_t first) {
        if (committee_keys.empty()) return;
        Bytes frame;  // built once a remote member is tried
        for (size_t k = 0; k < committee_keys.size(); ++k) {
            const auto& to = committee_keys[(first + k) % committee_keys.size()];
            if (to == node_key.public_key()) {
                if (consensus) {
                    submit_in_order(std::move(transaction), now_us() / 1000);
                    return;
                }
                continue;
            }
            if (!reachable(to, now_us() / 1000)) continue;
            if (frame.empty()) frame = tagged(static_cast<uint8_t>(kind), transaction);
            if (transport->send(to, net::Channel::request, frame) == net::SendResult::queued) {
                ++forwarded;
                return;
            }
        }
        FLEEK_LOG_WARN("runtime", "no committee member reachable; a transaction was dropped");
    }

    // A member we can hand transactions to: connected, or connected a moment ago (a reconnect),
    // or not connected yet while this node is still starting. Its transport queue holds the
    // frame until the connection is up. Anything else goes to the next member.
    bool reachable(const crypto::NodePublicKey& key, uint64_t now_ms) const {
        if (connected_peers.count(key)) return true;
        auto seen = last_connected_ms.find(key);
        if (seen != last_connected_ms.end()) return now_ms < seen->second + 2'000;
        return now_ms < started_ms + 10'000;
    }

    void submit_local(Bytes transaction) {
        auto result = consensus->submit_transaction(transaction, now_us());
        if (!result) {
            if (result.error() == consensus::SubmitError::busy && waiting_transactions.size() < options.inbox_max) {
                waiting_transactions.push_back(std::move(transaction));
            }
            return;
        }
        flush_consensus();
    }

    // ---- epoch protocol (docs/formats/ledger-transactions.md, ChangeEpoch and the beacon) -------

    // The reveal of this node for (epoch, round): derived from its consensus key, so a restart
    // reveals what it committed without storing a secret.
    Hash32 beacon_secret(ledger::Epoch epoch, uint64_t round) const {
        codec::Writer w;
        const auto secret = consensus_key.to_bytes();
        w.fixed(secret.view());
        w.u64(epoch);
        w.u64(round);
        return crypto::blake3_derive_key("fleek-network beacon-reveal v1", w.view());
    }

    // A committee member moves the epoch on: ChangeEpoch once the transition time passed, then
    // commit and reveal for the beacon, and the timeouts when a phase expires. One transaction
    // at a time, signed with the node key.
    void drive_epoch(uint64_t now_ms) {
        std::optional<ledger::Method> method;
        uint64_t nonce = 0;
        {
            std::lock_guard lock(chain_mutex);
            const ledger::Ledger& ledger = chain->ledger();
            const auto me = ledger.node_index(node_key.public_key());
            if (!me) return;
            const auto info = ledger.node(*me);
            if (!info) return;
            // The previous one executed (its nonce is used) or got lost: a new one may go.
            if (driver_nonce > info->nonce && now_ms < driver_sent_ms + 10'000) return;
            const ledger::EpochInfo epoch = ledger.epoch_info();
            const auto epoch_committee = ledger.committee(epoch.epoch);
            if (!epoch_committee || !std::binary_search(epoch_committee->members.begin(), epoch_committee->members.end(), *me)) return;
            const ledger::ProtocolParams params = ledger.params();
            const uint64_t round = epoch.phase.round;
            std::optional<ledger::BeaconEntry> entry;
            if (auto bytes = ledger.state_value(ledger::tables::beacon(*me))) {
                if (auto decoded = codec::decode<ledger::BeaconEntry>(*bytes)) entry = *decoded;
            }
            auto signaled = [](const std::vector<ledger::NodeIndex>& list, ledger::NodeIndex index) {
                return std::binary_search(list.begin(), list.end(), index);
            };
            switch (epoch.phase.kind) {
                case ledger::BeaconPhaseKind::none:
                    if (now_ms >= epoch.transition_ms && !signaled(epoch_committee->ready_to_change, *me)) {
                        method = ledger::ChangeEpoch{epoch.epoch};
                    }
                    break;
                case ledger::BeaconPhaseKind::commit:
                    if ((!entry || entry->round != round) && !ledger.state_value(ledger::tables::non_revealer(*me))) {
                        method = ledger::BeaconCommit{epoch.epoch, round,
                                                      ledger::beacon_commitment(epoch.epoch, round, *me, beacon_secret(epoch.epoch, round))};
                    } else if (now_ms >= epoch.phase.start_ms + params.beacon_commit_phase_ms &&
                               !signaled(epoch_committee->commit_timeout_signals, *me)) {
                        method = ledger::BeaconCommitTimeout{epoch.epoch, round};
                    }
                    break;
                case ledger::BeaconPhaseKind::reveal:
                    if (entry && entry->round == round && !entry->reveal) {
                        method = ledger::BeaconReveal{epoch.epoch, round, beacon_secret(epoch.epoch, round)};
                    } else if (now_ms >= epoch.phase.start_ms + params.beacon_reveal_phase_ms &&
                               !signaled(epoch_committee->reveal_timeout_signals, *me)) {
                        method = ledger::BeaconRevealTimeout{epoch.epoch, round};
                    }
                    break;
            }
            nonce = info->nonce + 1;
        }
        if (!method) return;
        const ledger::Transaction transaction{{}, nonce, options.genesis.chain_id, std::move(*method)};
        driver_nonce = nonce;
        driver_sent_ms = now_ms;
        on_transaction(ledger::sign_transaction(transaction, node_key).to_bytes());
    }

    // ---- timers --------------------------------------------------------------------------------

    void tick() {
        const uint64_t now = now_us();
        const uint64_t now_ms = now / 1000;
        connected_peers.clear();
        for (const auto& peer : transport->peer_status()) {
            if (peer.connected) connected_peers.insert(peer.key), last_connected_ms[peer.key] = now_ms;
        }
        if (consensus) {
            while (!waiting_transactions.empty()) {
                auto result = consensus->submit_transaction(waiting_transactions.front(), now);
                if (!result && result.error() == consensus::SubmitError::busy) break;
                waiting_transactions.pop_front();
            }
            if (now >= consensus->next_wakeup()) consensus->on_tick(now);
            flush_consensus();
        }
        if (consensus) expire_held(now_ms);
        resend_unexecuted(now_ms);
        gossip->tick(now_ms);
        publish_pending_blocks();
        if (consensus && now_ms >= last_driver_ms + 500) {
            last_driver_ms = now_ms;
            drive_epoch(now_ms);
        }
        if (now_ms >= last_peers_ms + options.peers_refresh_ms) {
            last_peers_ms = now_ms;
            refresh_peers();
        }
        const uint64_t height = chain->height();
        if (height != last_height) last_height = height, last_progress_ms = now_ms;
        // Behind a peer, or nothing new for a while (a quiet network, or we missed the gossip).
        const bool behind = known_height > height || now_ms >= last_progress_ms + 4 * options.sync_interval_ms;
        if (behind && now_ms >= last_sync_ms + options.sync_interval_ms) {
            last_sync_ms = now_ms;
            request_sync(height + 1);
        }
    }

    void request_sync(uint64_t from_height) {
        std::vector<crypto::NodePublicKey> connected;
        for (const auto& peer : transport->peer_status()) {
            if (peer.connected) connected.push_back(peer.key);
        }
        if (connected.empty()) return;
        const auto& to = connected[rng() % connected.size()];
        const Bytes body = codec::encode(SyncRequest{from_height, SyncRequest::blocks_max});
        (void)transport->send(to, net::Channel::request, tagged(static_cast<uint8_t>(RequestKind::sync), body));
    }

    void refresh_peers() {
        std::vector<net::PeerAddress> peers;
        std::vector<crypto::NodePublicKey> keys;
        {
            std::lock_guard lock(chain_mutex);
            for (const auto& [index, info] : chain->ledger().nodes()) {
                auto key = crypto::NodePublicKey::from_bytes(info.node_key);
                if (!key || *key == node_key.public_key()) continue;
                peers.push_back(net::PeerAddress{*key, info.domain, info.ports.pool});
                keys.push_back(*key);
            }
        }
        if (keys != peer_keys) {
            peer_keys = keys;
            transport->set_peers(peers);
            gossip->set_peers(keys);
        }
    }

    void update_status() {
        RuntimeStatus next;
        {
            std::lock_guard lock(chain_mutex);
            next.height = chain->height();
            next.certified_height = chain->certified_height();
            next.epoch = chain->ledger().epoch();
            next.state_root = chain->ledger().state_root();
        }
        next.known_height = std::max(known_height, next.height);
        next.committee_member = consensus != nullptr;
        next.peers = peer_keys.size();
        for (const auto& peer : transport->peer_status()) next.peers_connected += peer.connected ? 1 : 0;
        next.transactions_submitted = submitted;
        next.transactions_forwarded = forwarded;
        next.transactions_resent = resent;
        next.transactions_awaiting_receipt = awaiting_receipt.size();
        next.frames_refused = refused;
        std::lock_guard lock(status_mutex);
        status = next;
    }
};

Runtime::Runtime(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Runtime::~Runtime() { stop(); }

Result<std::unique_ptr<Runtime>, std::string> Runtime::start(RuntimeOptions options, const crypto::NodeSecretKey& node_key,
                                                             const crypto::ConsensusSecretKey& consensus_key) {
    auto impl = std::make_unique<Impl>(std::move(options), node_key, consensus_key);
    Impl& self = *impl;
    ChainOptions chain_options;
    chain_options.sync_writes = self.options.sync_writes;
    chain_options.ledger.sync_writes = self.options.sync_writes;
    auto chain = Chain::open(self.options.ledger_dir, self.options.chain_dir, self.options.genesis, chain_options);
    if (!chain) return fail(chain.error());
    self.chain = std::move(*chain);
    FLEEK_LOG_INFO("runtime", "chain at height {}, epoch {}, state root {}", self.chain->height(), self.chain->ledger().epoch(),
                   hex_encode(self.chain->ledger().state_root()));

    Impl* raw = impl.get();
    auto transport = net::Transport::start(self.options.transport, self.node_key,
                                           [raw](const crypto::NodePublicKey& from, net::Channel channel, Bytes payload) {
                                               const auto& take = raw->options.hooks.take_frame;
                                               if (take && take(from, channel, payload)) return;
                                               if (!raw->push(FrameItem{from, channel, std::move(payload)})) ++raw->refused;
                                           });
    if (!transport) return fail(transport.error());
    self.transport = std::move(*transport);
    // Certified blocks carry up to chain_block_bytes_max of transactions plus their framing.
    net::GossipOptions gossip_options;
    gossip_options.message_bytes_max = chain_block_bytes_max + (size_t{2} << 20);
    gossip_options.stored_bytes_max = std::max(gossip_options.stored_bytes_max, 4 * gossip_options.message_bytes_max);
    self.gossip = std::make_unique<net::Gossip>(self.node_key, gossip_options,
                                                [raw](const crypto::NodePublicKey& to, Bytes payload) {
                                                    return raw->transport->send(to, net::Channel::gossip, std::move(payload));
                                                });
    self.gossip->subscribe(net::Topic::block_certificates,
                           [raw](const crypto::NodePublicKey&, ByteSpan payload) { return raw->on_gossip_signature(payload); });
    self.gossip->subscribe(net::Topic::blocks,
                           [raw](const crypto::NodePublicKey&, ByteSpan payload) { return raw->on_gossip_block(payload); });
    for (const auto& [topic, handler] : self.options.hooks.gossip) self.gossip->subscribe(topic, handler);
    self.started_ms = now_us() / 1000;
    self.refresh_peers();
    self.reconfigure();
    self.update_status();
    if (self.failed) return fail(std::string("the consensus store could not be opened"));
    self.core = std::thread([raw] { raw->run(); });
    return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
}

void Runtime::stop() {
    if (!m_impl) return;
    {
        std::lock_guard lock(m_impl->inbox_mutex);
        m_impl->stopping = true;
    }
    m_impl->inbox_ready.notify_all();
    if (m_impl->core.joinable()) m_impl->core.join();
    if (m_impl->transport) m_impl->transport->stop();
    m_impl->consensus.reset();
    m_impl->consensus_store.reset();
}

void Runtime::read(const std::function<void(const Chain&)>& read) {
    std::lock_guard lock(m_impl->chain_mutex);
    read(*m_impl->chain);
}

void Runtime::read_store(const std::function<void(const Chain&)>& read) { read(*m_impl->chain); }

bool Runtime::submit(Bytes transaction) { return m_impl->push(TransactionItem{std::move(transaction)}); }

bool Runtime::submit_raw(Bytes transaction) { return m_impl->push(RawTransactionItem{std::move(transaction)}); }

RuntimeStatus Runtime::status() {
    std::lock_guard lock(m_impl->status_mutex);
    return m_impl->status;
}

uint16_t Runtime::pool_port() const { return m_impl->transport->port(); }

bool Runtime::publish(net::Topic topic, Bytes payload) { return m_impl->push(PublishItem{topic, std::move(payload)}); }

net::SendResult Runtime::send(const crypto::NodePublicKey& to, net::Channel channel, Bytes payload) {
    return m_impl->transport->send(to, channel, std::move(payload));
}

std::vector<net::PeerStatus> Runtime::peer_status() const { return m_impl->transport->peer_status(); }

std::string Runtime::metrics_text() {
    const RuntimeStatus s = status();
    std::string out;
    auto gauge = [&](std::string_view name, std::string_view help, uint64_t value) {
        out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, value);
    };
    gauge("fleek_chain_height", "Height of the last executed block", s.height);
    gauge("fleek_chain_certified_height", "Highest block with a certificate here", s.certified_height);
    gauge("fleek_chain_known_height", "Highest block height a peer reported", s.known_height);
    gauge("fleek_epoch", "Current epoch", s.epoch);
    gauge("fleek_committee_member", "1 when this node is in the current committee", s.committee_member ? 1 : 0);
    gauge("fleek_peers", "Registered peers", s.peers);
    gauge("fleek_peers_connected", "Peers with an open connection", s.peers_connected);
    gauge("fleek_transactions_submitted_total", "Transactions taken in through RPC", s.transactions_submitted);
    gauge("fleek_transactions_forwarded_total", "Transactions forwarded to a committee member", s.transactions_forwarded);
    gauge("fleek_transactions_resent_total", "Transactions routed again because no receipt appeared in time", s.transactions_resent);
    gauge("fleek_transactions_awaiting_receipt", "Client transactions this node routes again until they execute",
          s.transactions_awaiting_receipt);
    gauge("fleek_frames_refused_total", "Peer frames that did not decode or were not acceptable", s.frames_refused);
    gauge("fleek_chain_blocks_executed_total", "Blocks executed since the node started", m_impl->executed_blocks);
    gauge("fleek_chain_transactions_executed_total", "Transactions executed since the node started", m_impl->executed_transactions);
    return out;
}

}  // namespace fleek::node
