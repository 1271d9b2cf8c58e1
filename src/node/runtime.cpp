// The runtime's life cycle, core loop, consensus, block execution, gossip, sync, peers, status
// and health (runtime_impl.h). Transactions are in runtime_transactions.cpp.
#include "node/runtime.h"

#include "consensus/signature.h"
#include "node/relay_policy.h"
#include "node/runtime_impl.h"
#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

namespace fleek::node {

Bytes tagged(uint8_t tag, ByteSpan body) {
    Bytes out;
    out.reserve(body.size() + 1);
    out.push_back(tag);
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

size_t route_index(const Hash32& key, size_t committee_size) {
    uint64_t pick = 0;
    for (size_t i = 0; i < 8; ++i) pick = (pick << 8) | key[i];
    return static_cast<size_t>(pick % std::max<size_t>(1, committee_size));
}

size_t sender_route(const ledger::Sender& sender, size_t committee_size) {
    return route_index(crypto::blake3(rpc::sender_bytes(sender)), committee_size);
}

std::string_view to_string(SlashEvidenceError error) noexcept {
    switch (error) {
        case SlashEvidenceError::not_evidence: return "not_evidence";
        case SlashEvidenceError::already_submitted: return "already_submitted";
        case SlashEvidenceError::not_registered: return "not_registered";
        case SlashEvidenceError::stopped: return "stopped";
    }
    return "unknown";
}

Runtime::Impl::Impl(RuntimeOptions runtime_options, const crypto::NodeSecretKey& node, const crypto::ConsensusSecretKey& consensus_secret)
    : options(std::move(runtime_options)),
      node_key(node.clone()),
      consensus_key(crypto::ConsensusSecretKey::from_bytes(consensus_secret.to_bytes().view()).value()),
      pending(options.pending) {
    uint64_t seed = 0;
    for (size_t i = 0; i < 8; ++i) seed = (seed << 8) | node_key.public_key().bytes()[i];
    rng.seed(seed ^ now_us());
}

// ---- inbox, loop, failure ------------------------------------------------------------------

bool Runtime::Impl::push(InboxItem item) {
    {
        std::lock_guard lock(inbox_mutex);
        if (stopping || failed || inbox.size() >= options.inbox_max) return false;
        inbox.push_back(std::move(item));
    }
    inbox_ready.notify_one();
    return true;
}

void Runtime::Impl::run() {
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
            } else if (auto* forwarded_item = std::get_if<ForwardedItem>(&item)) {
                on_forwarded(*forwarded_item);
            } else if (auto* own = std::get_if<NodeMethodItem>(&item)) {
                if (slash_queue.size() < node_methods_queued_max) {
                    slash_queue.push_back(QueuedMethod{std::move(own->method), 0});
                } else {
                    FLEEK_LOG_WARN("runtime", "own transaction dropped ({}): {} are queued already", ledger::method_name(own->method),
                                   slash_queue.size());
                }
            } else if (auto* publish = std::get_if<PublishItem>(&item)) {
                gossip->publish(publish->topic, std::move(publish->payload), now_us() / 1000);
            } else if (consensus) {
                submit_local(std::move(std::get<RawTransactionItem>(item).bytes));
            } else {
                ++refused;
            }
        }
        if (failed) {
            update_status();
            return;
        }
        tick();
        update_status();
    }
}

// The runtime cannot go on (a storage failure, a consensus store that does not open): it stops
// taking work, reports the reason (status, health, failure()) and its core thread ends.
void Runtime::Impl::fail_runtime(std::string reason) {
    FLEEK_LOG_ERROR("runtime", "runtime failed: {}; the node must restart", reason);
    {
        std::lock_guard lock(status_mutex);
        if (failure_reason.empty()) failure_reason = std::move(reason);
    }
    failed = true;
    running = false;
}

// On a transport I/O thread: a transaction a peer forwards is checked here (signature included)
// so that neither the core thread nor the worker spends anything on a forged one.
void Runtime::Impl::on_transport_frame(const crypto::NodePublicKey& from, net::Channel channel, Bytes payload) {
    if (options.hooks.take_frame && options.hooks.take_frame(from, channel, payload)) return;  // the content network's
    const bool transaction_frame =
        channel == net::Channel::request && !payload.empty() &&
        (payload[0] == static_cast<uint8_t>(RequestKind::transaction) || payload[0] == static_cast<uint8_t>(RequestKind::transaction_relayed));
    if (!transaction_frame) {
        if (!push(FrameItem{from, channel, std::move(payload)})) ++refused;
        return;
    }
    const auto kind = static_cast<RequestKind>(payload[0]);
    const ByteSpan body = ByteSpan(payload).subspan(1);
    if (auto checked = check_forwarded_transaction(body, options.genesis.chain_id); !checked) {
        ++refused;
        {
            std::lock_guard lock(status_mutex);
            ++refused_by_peer[from];
        }
        FLEEK_LOG_DEBUG("runtime", "peer {} forwarded a transaction that fails the checks: {}", from.to_string(),
                        rpc::to_string(checked.error()));
        return;
    }
    if (!push(ForwardedItem{from, kind, Bytes(body.begin(), body.end())})) ++refused;
}

// ---- consensus ---------------------------------------------------------------------------------

// Starts the consensus instance of the chain's current epoch if this node is in its committee,
// and drops the previous one.
void Runtime::Impl::reconfigure() {
    ledger::Epoch epoch = 0;
    std::vector<ledger::CommitteeMember> members;
    {
        std::lock_guard lock(chain_lock);
        epoch = chain->ledger().epoch();
        members = chain->ledger().current_committee();
    }
    committee_keys.clear();
    for (const auto& member : members) committee_keys.push_back(member.node_key);
    if (consensus && consensus_epoch == epoch) return;
    // Transactions this worker still holds (nonce order, back-pressure) go to the new
    // committee. Those already in the old instance's batches but not committed are lost with
    // it: the node that took them from a client routes them again (resend_unexecuted).
    std::vector<Bytes> held;
    held.insert(held.end(), std::make_move_iterator(waiting_transactions.begin()), std::make_move_iterator(waiting_transactions.end()));
    waiting_transactions.clear();
    for (auto& [sender, queue] : senders) {
        for (auto& [nonce, entry] : queue.held) held.push_back(std::move(entry.first));
    }
    senders.clear();
    held_transactions = 0;
    start_instance(epoch, members);
    for (auto& transaction : held) route(std::move(transaction), RequestKind::transaction);
}

void Runtime::Impl::start_instance(ledger::Epoch epoch, const std::vector<ledger::CommitteeMember>& members) {
    consensus.reset();
    consensus_store.reset();
    committee.reset();
    authority_by_key.clear();
    consensus_epoch = epoch;
    const bool member = std::any_of(members.begin(), members.end(),
                                    [&](const ledger::CommitteeMember& m) { return m.consensus_key == consensus_key.public_key(); });
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
    const auto store_dir = options.consensus_dir / fmt::format("epoch-{}", epoch);
    auto store = consensus::RocksDbStore::open(store_dir);
    if (!store) {
        fail_runtime(fmt::format("cannot open the consensus store {}: {}", store_dir.string(), store.error()));
        return;
    }
    consensus_store = std::move(*store);
    consensus::Node::Options node_options;
    node_options.parameters = options.consensus;
    node_options.rng_seed = rng();
    node_options.next_output_index = chain->next_output_index(epoch);
    auto scheme = consensus::make_bls_scheme(*committee, crypto::ConsensusSecretKey::from_bytes(consensus_key.to_bytes().view()).value());
    consensus = std::make_unique<consensus::Node>(*committee, *me, scheme, *consensus_store, node_options, now_us());
    FLEEK_LOG_INFO("runtime", "epoch {}: committee member {} of {}; consensus resumes at output {}", epoch, *me, committee->size(),
                   *node_options.next_output_index);
    flush_consensus();
}

void Runtime::Impl::flush_consensus() {
    if (!consensus) return;
    for (auto& out : consensus->take_outbound()) {
        const crypto::NodePublicKey& to = committee->member(out.to).node_key;
        (void)transport->send(to, net::Channel::consensus, tagged(static_cast<uint8_t>(out.plane), out.bytes));
    }
    auto outputs = consensus->take_output();
    if (consensus->halted()) {
        fail_runtime("consensus stopped after a storage failure");
        return;
    }
    // Two headers signed by one authority for one round: a Slash transaction follows (once per
    // node and slot; submit_slash_evidence checks the signatures against the epoch's committee).
    for (const auto& evidence : consensus->take_equivocation_evidence()) {
        auto slash = submit_slash_evidence(evidence.first, evidence.second);
        if (!slash && slash.error() != SlashEvidenceError::already_submitted) {
            FLEEK_LOG_DEBUG("runtime", "equivocation evidence against authority {} not submitted: {}", evidence.author,
                            to_string(slash.error()));
        }
    }
    bool epoch_changed = false;
    for (const auto& output : outputs) {
        std::vector<ExecutedBlock> executed;
        {
            std::lock_guard lock(chain_lock);
            auto result = chain->execute_output(consensus_epoch, output);
            if (!result) {
                FLEEK_LOG_ERROR("runtime", "executing sub-DAG {} failed: {}", output.sub_dag_index, to_string(result.error()));
                if (result.error() == ChainError::storage) fail_runtime(fmt::format("executing a block: {}", to_string(result.error())));
                return;
            }
            executed = std::move(*result);
            if (!executed.empty()) publish_summary();
        }
        for (const auto& block : executed) {
            forget_executed(block.result);
            executed_transactions += block.block.block.transactions.size();
            ++executed_blocks;
            const auto signature =
                sign_block(consensus_key, *block.block.block.epoch, block.result.height, block.digest, block.result.state_root);
            on_signature_result(add_signature(signature));
            gossip->publish(net::Topic::block_certificates, codec::encode(signature), now_us() / 1000);
            epoch_changed = epoch_changed || block.result.epoch_changed;
        }
    }
    publish_pending_blocks();
    if (epoch_changed) reconfigure();
}

Result<std::optional<ledger::BlockCertificate>, ChainError> Runtime::Impl::add_signature(const BlockSignature& signature) {
    std::lock_guard lock(chain_lock);
    return chain->add_signature(signature);
}

// A completed certificate: one member per height (height mod committee size) gossips the
// certified block for the nodes outside the committee; they sync from anyone if it is lost.
void Runtime::Impl::on_signature_result(const Result<std::optional<ledger::BlockCertificate>, ChainError>& result) {
    if (result && *result && consensus && committee && (*result)->height % committee->size() == consensus->index()) {
        std::lock_guard lock(chain_lock);
        if (auto block = chain->certified_block((*result)->height)) to_publish_blocks.push_back(codec::encode(*block));
    }
}

void Runtime::Impl::publish_pending_blocks() {
    auto blocks = std::exchange(to_publish_blocks, {});
    for (auto& block : blocks) gossip->publish(net::Topic::blocks, std::move(block), now_us() / 1000);
}

void Runtime::Impl::publish_summary() {
    auto next = std::make_shared<const rpc::ChainSummary>(rpc::summarize(chain->ledger().snapshot()));
    std::lock_guard lock(summary_mutex);
    summary = std::move(next);
}

std::shared_ptr<const rpc::ChainSummary> Runtime::Impl::current_summary() {
    std::lock_guard lock(summary_mutex);
    return summary;
}

const std::vector<ledger::CommitteeMember>& Runtime::Impl::committee_of(ledger::Epoch epoch) {
    std::lock_guard lock(chain_lock);
    if (committees_height != chain->height()) {
        committees.clear();
        committees_height = chain->height();
    }
    auto found = committees.find(epoch);
    if (found == committees.end()) {
        if (committees.size() >= 8) committees.erase(committees.begin());
        found = committees.emplace(epoch, chain->ledger().committee_members(epoch)).first;
    }
    return found->second;
}

// ---- inputs ------------------------------------------------------------------------------------

void Runtime::Impl::on_frame(FrameItem& frame) {
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

// Sync requests (transactions were taken off the request channel on the I/O thread).
void Runtime::Impl::on_request(const FrameItem& frame) {
    if (frame.payload.empty() || frame.payload[0] != static_cast<uint8_t>(RequestKind::sync)) {
        ++refused;
        return;
    }
    auto request = codec::decode<SyncRequest>(ByteSpan(frame.payload).subspan(1));
    if (!request) {
        ++refused;
        return;
    }
    SyncResponse response;
    {
        std::lock_guard lock(chain_lock);
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
}

void Runtime::Impl::on_sync_response(const FrameItem& frame) {
    auto response = codec::decode<SyncResponse>(frame.payload);
    if (!response) {
        ++refused;
        return;
    }
    known_height = std::max(known_height, response->peer_height);
    bool epoch_changed = false;
    for (const auto& block : response->blocks) {
        std::lock_guard lock(chain_lock);
        if (block.block.block.height <= chain->height()) {
            (void)chain->add_certificate(block.certificate);
            continue;
        }
        auto executed = chain->execute_certified(block);
        if (!executed) {
            FLEEK_LOG_WARN("runtime", "synced block {} refused: {}", block.block.block.height, to_string(executed.error()));
            if (executed.error() == ChainError::storage) fail_runtime(fmt::format("executing a synced block: {}", to_string(executed.error())));
            break;
        }
        publish_summary();
        forget_executed(executed->result);
        verified_height = std::max(verified_height, block.block.block.height);
        executed_transactions += block.block.block.transactions.size();
        ++executed_blocks;
        epoch_changed = epoch_changed || executed->result.epoch_changed;
    }
    if (epoch_changed && !failed) reconfigure();
}

// Relayed only when the signer is a member of the epoch's committee and the signature verifies
// (relay_policy.h); a signature for a block not executed here yet is kept by the chain.
bool Runtime::Impl::on_gossip_signature(ByteSpan payload) {
    auto signature = codec::decode<BlockSignature>(payload);
    if (!signature) return false;
    if (!verify_block_signature(*signature, committee_of(signature->epoch))) {
        ++gossip_refused;
        return false;
    }
    auto result = add_signature(*signature);
    if (result) on_signature_result(result);
    return true;
}

// Relayed only when the certificate verifies against the committee of its epoch
// (relay_policy.h): executed at the next height, stored for a height executed already.
bool Runtime::Impl::on_gossip_block(ByteSpan payload) {
    auto block = codec::decode<CertifiedBlock>(payload);
    if (!block) return false;
    const uint64_t height = block->block.block.height;
    const GossipBlockAction action = classify_gossip_block(*block, chain->height(), committee_of(block->certificate.epoch));
    if (action == GossipBlockAction::refuse) {
        ++gossip_refused;
        return false;
    }
    known_height = std::max(known_height, height);
    verified_height = std::max(verified_height, height);
    bool epoch_changed = false;
    if (action == GossipBlockAction::add_certificate) {
        std::lock_guard lock(chain_lock);
        (void)chain->add_certificate(block->certificate);
    } else if (action == GossipBlockAction::execute) {
        std::lock_guard lock(chain_lock);
        auto executed = chain->execute_certified(*block);
        if (!executed) {
            FLEEK_LOG_WARN("runtime", "certified block {} from gossip refused: {}", height, to_string(executed.error()));
            if (executed.error() == ChainError::storage) fail_runtime(fmt::format("executing a block: {}", to_string(executed.error())));
            return true;  // its certificate verified: others may execute it
        }
        publish_summary();
        forget_executed(executed->result);
        epoch_changed = executed->result.epoch_changed;
        executed_transactions += block->block.block.transactions.size();
        ++executed_blocks;
    }
    if (epoch_changed) reconfigure();
    return true;
}

// ---- timers --------------------------------------------------------------------------------

void Runtime::Impl::tick() {
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
    if (now_ms >= last_driver_ms + 500) {
        last_driver_ms = now_ms;
        send_node_transaction(now_ms);
    }
    if (now_ms >= last_peers_ms + options.peers_refresh_ms) {
        last_peers_ms = now_ms;
        refresh_peers();
    }
    const uint64_t height = chain->height();
    if (height != last_height) last_height = height, last_progress_ms = now_ms, progress_ms = now_ms;
    // Behind a peer, or nothing new for a while (a quiet network, or we missed the gossip).
    const bool behind = known_height > height || now_ms >= last_progress_ms + 4 * options.sync_interval_ms;
    if (behind && now_ms >= last_sync_ms + options.sync_interval_ms) {
        last_sync_ms = now_ms;
        request_sync(height + 1);
    }
    recover_certificates(now_ms);
}

// Asks a peer for the certified blocks from the first one executed before the restart that still
// has no certificate here; on_sync_response adds the certificates of blocks we hold.
void Runtime::Impl::recover_certificates(uint64_t now_ms) {
    if (uncertified_from == 0) return;
    while (uncertified_from <= uncertified_to && chain->certificate(uncertified_from)) ++uncertified_from;
    if (uncertified_from > uncertified_to) {
        uncertified_from = 0;
        return;
    }
    if (now_ms < last_certificate_sync_ms + options.sync_interval_ms) return;
    last_certificate_sync_ms = now_ms;
    request_sync(uncertified_from);
}

void Runtime::Impl::request_sync(uint64_t from_height) {
    std::vector<crypto::NodePublicKey> connected;
    for (const auto& peer : transport->peer_status()) {
        if (peer.connected) connected.push_back(peer.key);
    }
    if (connected.empty()) return;
    const auto& to = connected[rng() % connected.size()];
    const Bytes body = codec::encode(SyncRequest{from_height, SyncRequest::blocks_max});
    (void)transport->send(to, net::Channel::request, tagged(static_cast<uint8_t>(RequestKind::sync), body));
}

void Runtime::Impl::refresh_peers() {
    std::vector<net::PeerAddress> peers;
    std::vector<crypto::NodePublicKey> keys;
    {
        std::lock_guard lock(chain_lock);
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
        // Refusal counts of peers that left the registry go with them (bounded by the registry).
        const std::set<crypto::NodePublicKey> registered(keys.begin(), keys.end());
        std::lock_guard lock(status_mutex);
        std::erase_if(refused_by_peer, [&](const auto& entry) { return registered.count(entry.first) == 0; });
    }
}

// A member we can hand transactions to: connected, or connected a moment ago (a reconnect),
// or not connected yet while this node is still starting. Its transport queue holds the
// frame until the connection is up. Anything else goes to the next member.
bool Runtime::Impl::reachable(const crypto::NodePublicKey& key, uint64_t now_ms) const {
    if (connected_peers.count(key)) return true;
    auto seen = last_connected_ms.find(key);
    if (seen != last_connected_ms.end()) return now_ms < seen->second + 2'000;
    return now_ms < started_ms + 10'000;
}

void Runtime::Impl::update_status() {
    RuntimeStatus next;
    const std::shared_ptr<const rpc::ChainSummary> current = current_summary();
    next.height = current->height;
    next.epoch = current->chain.epoch;
    next.state_root = current->state_root;
    next.certified_height = chain->certified_height();  // written by this thread only
    next.known_height = std::max(known_height, next.height);
    next.verified_height = verified_height;
    next.committee_member = consensus != nullptr;
    next.peers = peer_keys.size();
    for (const auto& peer : transport->peer_status()) next.peers_connected += peer.connected ? 1 : 0;
    next.transactions_submitted = submitted;
    next.transactions_forwarded = forwarded;
    next.transactions_resent = resent;
    next.transactions_awaiting_receipt = awaiting_receipt.size();
    next.transactions_pending = awaiting_receipt.size() + held_transactions + waiting_transactions.size();
    next.frames_refused = refused;
    next.gossip_refused = gossip_refused;
    next.slashes_submitted = slashes_submitted;
    next.delivery_batches_queued = delivery_batches_queued;
    next.last_progress_ms = progress_ms;
    next.running = running;
    std::lock_guard lock(status_mutex);
    next.failure = failure_reason;
    next.transactions_refused_by_peer = refused_by_peer;
    status = std::move(next);
}

// ---- Runtime ---------------------------------------------------------------------------------

Runtime::Runtime(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Runtime::~Runtime() { stop(); }

Result<std::unique_ptr<Runtime>, std::string> Runtime::start(RuntimeOptions options, const crypto::NodeSecretKey& node_key,
                                                             const crypto::ConsensusSecretKey& consensus_key) {
    auto impl = std::make_unique<Impl>(std::move(options), node_key, consensus_key);
    Impl& self = *impl;
    ChainOptions chain_options;
    chain_options.sync_writes = self.options.sync_writes;
    chain_options.ledger.sync_writes = self.options.sync_writes;
    chain_options.before_record_write = self.options.test_before_record_write;
    auto chain = Chain::open(self.options.ledger_dir, self.options.chain_dir, self.options.genesis, chain_options);
    if (!chain) return fail(chain.error());
    self.chain = std::move(*chain);
    FLEEK_LOG_INFO("runtime", "chain at height {}, epoch {}, state root {}", self.chain->height(), self.chain->ledger().epoch(),
                   hex_encode(self.chain->ledger().state_root()));
    if (self.chain->certified_height() < self.chain->height()) {
        self.uncertified_from = self.chain->certified_height() + 1;
        self.uncertified_to = self.chain->height();
        FLEEK_LOG_INFO("runtime", "blocks {}..{} have no certificate here yet: asking peers", self.uncertified_from, self.uncertified_to);
    }
    self.publish_summary();

    Impl* raw = impl.get();
    auto transport = net::Transport::start(self.options.transport, self.node_key,
                                           [raw](const crypto::NodePublicKey& from, net::Channel channel, Bytes payload) {
                                               raw->on_transport_frame(from, channel, std::move(payload));
                                           });
    if (!transport) return fail(transport.error());
    self.transport = std::move(*transport);
    // Certified blocks carry up to chain_block_bytes_max of transactions plus their framing.
    net::GossipOptions gossip_options;
    gossip_options.message_bytes_max = chain_block_bytes_max + (size_t{2} << 20);
    gossip_options.stored_bytes_max = std::max(gossip_options.stored_bytes_max, 4 * gossip_options.message_bytes_max);
    self.gossip = std::make_unique<net::Gossip>(self.node_key, gossip_options, [raw](const crypto::NodePublicKey& to, Bytes payload) {
        return raw->transport->send(to, net::Channel::gossip, std::move(payload));
    });
    self.gossip->subscribe(net::Topic::block_certificates,
                           [raw](const crypto::NodePublicKey&, ByteSpan payload) { return raw->on_gossip_signature(payload); });
    self.gossip->subscribe(net::Topic::blocks, [raw](const crypto::NodePublicKey&, ByteSpan payload) { return raw->on_gossip_block(payload); });
    for (const auto& [topic, handler] : self.options.hooks.gossip) self.gossip->subscribe(topic, handler);
    self.started_ms = now_us() / 1000;
    self.progress_ms = self.started_ms;
    self.refresh_peers();
    self.reconfigure();
    self.update_status();
    if (self.failed) {
        self.transport->stop();
        std::lock_guard lock(self.status_mutex);
        return fail(self.failure_reason);
    }
    self.core = std::thread([raw] { raw->run(); });
    return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
}

void Runtime::stop() {
    if (!m_impl) return;
    {
        std::lock_guard lock(m_impl->inbox_mutex);
        m_impl->stopping = true;
    }
    m_impl->running = false;
    m_impl->inbox_ready.notify_all();
    if (m_impl->core.joinable()) m_impl->core.join();
    if (m_impl->transport) m_impl->transport->stop();
    m_impl->consensus.reset();
    m_impl->consensus_store.reset();
}

void Runtime::read(const std::function<void(const Chain&)>& read) {
    ChainLock::ReadGuard guard(m_impl->chain_lock);
    read(*m_impl->chain);
}

void Runtime::read_store(const std::function<void(const Chain&)>& read) { read(*m_impl->chain); }

std::shared_ptr<const rpc::ChainSummary> Runtime::summary() { return m_impl->current_summary(); }

Result<crypto::Hash32, rpc::SubmitError> Runtime::submit_transaction(Bytes transaction) {
    return m_impl->submit_client_transaction(std::move(transaction));
}

rpc::PendingNonce Runtime::pending_nonce(const ledger::Sender& sender) { return m_impl->pending_nonce(sender); }

bool Runtime::submit_delivery_acknowledgments(std::vector<ledger::SignedDeliveryReceipt> receipts) {
    return m_impl->submit_node_method(ledger::SubmitDeliveryAcknowledgments{std::move(receipts)});
}

Result<void, SlashEvidenceError> Runtime::submit_slash_evidence(const ledger::SignedStatement& first,
                                                                const ledger::SignedStatement& second) {
    return m_impl->submit_slash_evidence(first, second);
}

bool Runtime::submit_raw(Bytes transaction) { return m_impl->push(RawTransactionItem{std::move(transaction)}); }

RuntimeStatus Runtime::status() {
    std::lock_guard lock(m_impl->status_mutex);
    return m_impl->status;
}

rpc::Health Runtime::health() {
    const RuntimeStatus s = status();
    HealthInputs inputs;
    inputs.running = m_impl->running && !m_impl->failed;
    inputs.failure = failure().value_or(std::string());
    if (!inputs.running && inputs.failure.empty()) inputs.failure = "the node is shutting down";
    inputs.now_ms = now_us() / 1000;
    inputs.last_progress_ms = s.last_progress_ms;
    inputs.height = s.height;
    inputs.verified_height = s.verified_height;
    inputs.pending_transactions = s.transactions_pending;
    return evaluate_health(inputs, m_impl->options.health);
}

std::optional<std::string> Runtime::failure() {
    if (!m_impl->failed) return std::nullopt;
    std::lock_guard lock(m_impl->status_mutex);
    return m_impl->failure_reason;
}

uint16_t Runtime::pool_port() const { return m_impl->transport->port(); }

bool Runtime::publish(net::Topic topic, Bytes payload) { return m_impl->push(PublishItem{topic, std::move(payload)}); }

net::SendResult Runtime::send(const crypto::NodePublicKey& to, net::Channel channel, Bytes payload) {
    return m_impl->transport->send(to, channel, std::move(payload));
}

net::SendResult Runtime::send_frame(const crypto::NodePublicKey& to, net::Channel channel, net::FramePayload& payload) {
    return m_impl->transport->send_frame(to, channel, payload);
}

std::vector<net::PeerStatus> Runtime::peer_status() const { return m_impl->transport->peer_status(); }

uint64_t Runtime::chain_lock_wait_max_us() const { return m_impl->chain_lock.core_wait_max_us(); }

void Runtime::reset_chain_lock_wait() const { m_impl->chain_lock.reset_wait_stats(); }

std::string Runtime::metrics_text() {
    const RuntimeStatus s = status();
    const net::TransportCounters transport = m_impl->transport->counters();
    std::string out;
    auto gauge = [&](std::string_view name, std::string_view help, uint64_t value) {
        out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, value);
    };
    gauge("fleek_runtime_running", "1 while the runtime runs; 0 after it failed (see /health)", s.running ? 1 : 0);
    gauge("fleek_chain_height", "Height of the last executed block", s.height);
    gauge("fleek_chain_certified_height", "Highest block with a certificate here", s.certified_height);
    gauge("fleek_chain_known_height", "Highest block height a peer reported", s.known_height);
    gauge("fleek_chain_verified_height", "Highest block height of a verified certificate from a peer", s.verified_height);
    gauge("fleek_epoch", "Current epoch", s.epoch);
    gauge("fleek_committee_member", "1 when this node is in the current committee", s.committee_member ? 1 : 0);
    gauge("fleek_peers", "Registered peers", s.peers);
    gauge("fleek_peers_connected", "Peers with an open connection", s.peers_connected);
    gauge("fleek_transactions_submitted_total", "Transactions taken in through RPC", s.transactions_submitted);
    gauge("fleek_transactions_forwarded_total", "Transactions forwarded to a committee member", s.transactions_forwarded);
    gauge("fleek_transactions_resent_total", "Transactions routed again because no receipt appeared in time", s.transactions_resent);
    gauge("fleek_transactions_awaiting_receipt", "Client transactions this node routes again until they execute",
          s.transactions_awaiting_receipt);
    gauge("fleek_transactions_pending_pool", "Client transactions by sender and nonce until they execute (flk_get_pending_nonce)",
          m_impl->pending.size());
    gauge("fleek_frames_refused_total", "Peer frames that did not decode or were not acceptable", s.frames_refused);
    gauge("fleek_gossip_refused_total", "Gossiped blocks and block signatures that did not verify (not relayed)", s.gossip_refused);
    gauge("fleek_slashes_submitted_total", "Slash transactions sent for equivocation evidence", s.slashes_submitted);
    gauge("fleek_delivery_batches_queued_total", "SubmitDeliveryAcknowledgments transactions of this node's receipts taken to be sent",
          s.delivery_batches_queued);
    gauge("fleek_chain_lock_wait_max_us", "Longest wait of block execution for the chain lock held by a ledger read",
          m_impl->chain_lock.core_wait_max_us());
    gauge("fleek_chain_lock_wait_us_total", "Time block execution waited for the chain lock held by ledger reads",
          m_impl->chain_lock.core_wait_total_us());
    gauge("fleek_chain_blocks_executed_total", "Blocks executed since the node started", m_impl->executed_blocks);
    gauge("fleek_chain_transactions_executed_total", "Transactions executed since the node started", m_impl->executed_transactions);
    out += "# HELP fleek_peer_transactions_refused_total Transactions a peer forwarded that failed the checks, by peer\n";
    out += "# TYPE fleek_peer_transactions_refused_total counter\n";
    for (const auto& [peer, count] : s.transactions_refused_by_peer) {
        out += fmt::format("fleek_peer_transactions_refused_total{{peer=\"{}\"}} {}\n", peer.to_string(), count);
    }
    gauge("fleek_pool_connections_inbound", "Open inbound pool connections, unauthenticated ones included", transport.inbound);
    gauge("fleek_pool_connections_outbound", "Open outbound pool connections, dials under way included", transport.outbound);
    gauge("fleek_pool_connections_unauthenticated", "Inbound pool connections before the handshake completed", transport.unauthenticated);
    out += "# HELP fleek_pool_connections_refused_total Inbound pool connections closed at once, by the budget that was spent\n";
    out += "# TYPE fleek_pool_connections_refused_total counter\n";
    out += fmt::format("fleek_pool_connections_refused_total{{reason=\"inbound_limit\"}} {}\n", transport.refused_inbound_limit);
    out += fmt::format("fleek_pool_connections_refused_total{{reason=\"unauthenticated_limit\"}} {}\n",
                       transport.refused_unauthenticated_limit);
    out += fmt::format("fleek_pool_connections_refused_total{{reason=\"per_ip_limit\"}} {}\n", transport.refused_per_ip_limit);
    gauge("fleek_pool_dials_deferred_total", "Dials put off because the outbound budget was spent", transport.dials_deferred);
    gauge("fleek_pool_handshakes_failed_total", "Pool connections whose TLS handshake failed or timed out", transport.handshakes_failed);
    gauge("fleek_pool_keys_refused_total", "Pool connections refused after the handshake: a key that may not connect",
          transport.refused_keys);
    return out;
}

}  // namespace fleek::node
