// The runtime's transactions (runtime_impl.h): from clients (checked, pending by nonce), from
// peers (signature checked on the I/O thread), and this node's own (the epoch protocol and
// Slash evidence, one in flight at a time); their nonce order at this worker, routing to the
// committee and resending until a receipt shows they executed.
#include "ledger/tables.h"
#include "node/relay_policy.h"
#include "node/runtime_impl.h"
#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

namespace fleek::node {

// ---- client transactions ---------------------------------------------------------------------

Result<crypto::Hash32, rpc::SubmitError> Runtime::Impl::submit_client_transaction(Bytes transaction) {
    if (!running || failed) return fail(rpc::SubmitError::stopped);
    // Size, decoding, chain id and signature need no state: checked before taking the lock.
    auto decoded = check_forwarded_transaction(transaction, options.genesis.chain_id);
    if (!decoded) return fail(decoded.error());
    const crypto::Hash32 digest = decoded->transaction.digest();
    const ledger::Sender& sender = decoded->transaction.sender;
    // The state of the last published block, read without the chain lock: a block that executes
    // meanwhile neither waits for this check nor delays it.
    const std::shared_ptr<const rpc::ChainSummary> state = current_summary();
    if (auto checked = rpc::check_against_state(*state->ledger, *decoded, digest); !checked) return fail(checked.error());
    const uint64_t committed_nonce = rpc::stored_nonce(*state->ledger, sender);
    auto admitted = pending.admit(sender, decoded->transaction.nonce, digest, committed_nonce, now_us() / 1000,
                                  receipt_within(state->height));
    if (!admitted) return fail(admitted.error());
    if (*admitted == rpc::PendingPool::Admitted::already_pending) return digest;
    if (!push(TransactionItem{std::move(transaction)})) {
        pending.forget(digest);
        return fail(running && !failed ? rpc::SubmitError::unavailable : rpc::SubmitError::stopped);
    }
    return digest;
}

rpc::PendingNonce Runtime::Impl::pending_nonce(const ledger::Sender& sender) {
    const std::shared_ptr<const rpc::ChainSummary> state = current_summary();
    return pending.pending_nonce(sender, rpc::stored_nonce(*state->ledger, sender), now_us() / 1000, receipt_within(state->height));
}

// Whether a transaction has a receipt in a block up to `height`. The chain stores receipts just
// before the ledger commits their block, and the snapshot of that block is published after it:
// a receipt of a later block than the snapshot whose nonce is read must not drop the pending
// entry yet, or the pending nonce would fall back to the older committed nonce and a client
// would sign that nonce a second time.
rpc::PendingPool::HasReceipt Runtime::Impl::receipt_within(uint64_t height) const {
    return [this, height](const crypto::Hash32& digest) {
        const auto location = chain->transaction(digest);
        return location.has_value() && location->height <= height;
    };
}

// ---- this node's delivery acknowledgments -----------------------------------------------------

// Queued for the core thread, which signs it with the next nonce when no other transaction of
// this node is in flight (send_node_transaction). Never blocks.
bool Runtime::Impl::submit_node_method(ledger::Method method) {
    if (!running || failed) return false;
    const bool delivery = std::holds_alternative<ledger::SubmitDeliveryAcknowledgments>(method);
    if (!push(NodeMethodItem{std::move(method)})) return false;
    if (delivery) ++delivery_batches_queued;
    return true;
}

// ---- equivocation evidence -------------------------------------------------------------------

Result<void, SlashEvidenceError> Runtime::Impl::submit_slash_evidence(const ledger::SignedStatement& first,
                                                                      const ledger::SignedStatement& second) {
    if (!running || failed) return fail(SlashEvidenceError::stopped);
    std::vector<ledger::CommitteeMember> members;
    {
        ChainLock::ReadGuard guard(chain_lock);
        if (!chain->ledger().node_index(node_key.public_key())) return fail(SlashEvidenceError::not_registered);
        members = chain->ledger().committee_members(first.statement.epoch);
    }
    // The accused: a member of the statements' epoch whose key signed both. A header statement
    // names its signer (the origin); votes and blocks do not, so every member is tried.
    std::optional<ledger::NodeIndex> accused;
    for (const auto& member : members) {
        if (first.statement.kind == ledger::StatementKind::header && member.consensus_key.bytes() != first.statement.origin) continue;
        if (ledger::check_equivocation(member.consensus_key, first, second)) {
            accused = member.index;
            break;
        }
    }
    if (!accused) return fail(SlashEvidenceError::not_evidence);
    // One Slash per node and consensus slot, as the ledger penalizes once per slot.
    codec::Writer slot;
    slot.u32(*accused);
    slot.u8(static_cast<uint8_t>(first.statement.kind));
    slot.u64(first.statement.epoch);
    slot.u64(first.statement.round);
    slot.fixed(first.statement.origin);
    Bytes key = slot.take();
    {
        std::lock_guard lock(slash_mutex);
        if (slash_slots.size() >= 4096) slash_slots.erase(slash_slots.begin());
        if (!slash_slots.insert(key).second) return fail(SlashEvidenceError::already_submitted);
    }
    if (!push(NodeMethodItem{ledger::Slash{*accused, first, second}})) {
        std::lock_guard lock(slash_mutex);
        slash_slots.erase(key);
        return fail(SlashEvidenceError::stopped);
    }
    FLEEK_LOG_WARN("runtime", "equivocation evidence against node {} (epoch {}, round {}): a Slash transaction follows", *accused,
                   first.statement.epoch, first.statement.round);
    return {};
}

// ---- forwarded transactions --------------------------------------------------------------------

void Runtime::Impl::on_forwarded(ForwardedItem& item) {
    // A member takes it; a node that is not (any more) routes a first hop on, once.
    if (consensus) {
        submit_in_order(std::move(item.bytes), now_us() / 1000);
    } else if (item.kind == RequestKind::transaction) {
        route(std::move(item.bytes), RequestKind::transaction_relayed);
    } else {
        ++refused;
    }
}

// The sender's last used nonce in the committed state (0 for a new sender).
uint64_t Runtime::Impl::stored_nonce(const ledger::Sender& sender) {
    std::lock_guard lock(chain_lock);
    return rpc::stored_nonce(chain->ledger(), sender);
}

// Hands a transaction to our worker in its sender's nonce order.
void Runtime::Impl::submit_in_order(Bytes transaction, uint64_t now_ms) {
    auto decoded = codec::decode<ledger::SignedTransaction>(transaction);
    if (!decoded) {
        submit_local(std::move(transaction));  // the ledger gives it a `malformed` receipt
        return;
    }
    const uint64_t nonce = decoded->transaction.nonce;
    SenderQueue& queue = senders[rpc::sender_bytes(decoded->transaction.sender)];
    const uint64_t stored = stored_nonce(decoded->transaction.sender);
    // Forget what we sent long ago without effect (dropped at an epoch change, say).
    if (queue.touched_ms + 30'000 < now_ms) queue.next_nonce = 0;
    queue.next_nonce = std::max(queue.next_nonce, stored + 1);
    queue.touched_ms = now_ms;
    if (nonce != queue.next_nonce) {
        if (nonce > queue.next_nonce && nonce - queue.next_nonce <= 64 && held_transactions < options.inbox_max && queue.held.size() < 64) {
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

void Runtime::Impl::release_held(SenderQueue& queue) {
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
void Runtime::Impl::expire_held(uint64_t now_ms) {
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

// ---- routing -----------------------------------------------------------------------------------

// The member a transaction goes to first (sender_route); undecodable bytes go by their hash.
size_t Runtime::Impl::route_of(ByteSpan transaction) const {
    auto decoded = codec::decode<ledger::SignedTransaction>(transaction);
    if (decoded) return sender_route(decoded->transaction.sender, committee_keys.size());
    return route_index(crypto::blake3(transaction), committee_keys.size());
}

// A transaction from a client or this node: decoded once here for its route and digest.
void Runtime::Impl::on_transaction(Bytes transaction) {
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

void Runtime::Impl::await_receipt(const Hash32& digest, const Bytes& transaction, uint64_t now_ms) {
    if (awaiting_receipt.size() >= options.resend_tracked_max) return;
    const uint64_t due_ms = now_ms + options.resend_after_ms;
    if (awaiting_receipt.emplace(digest, AwaitingReceipt{transaction, due_ms, 0}).second) resend_due.emplace(due_ms, digest);
}

void Runtime::Impl::forget_executed(const ledger::BlockResult& result) {
    if (awaiting_receipt.empty()) return;
    for (const auto& receipt : result.receipts) awaiting_receipt.erase(receipt.digest);  // resend_due keeps stale entries
}

// Routes again what is due and still has no receipt; forgets what has one.
void Runtime::Impl::resend_unexecuted(uint64_t now_ms) {
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
            pending.forget(digest);
            continue;
        }
        ++entry.resends;
        entry.due_ms = now_ms + (options.resend_after_ms << entry.resends);
        resend_due.emplace(entry.due_ms, digest);
        ++resent;
        FLEEK_LOG_DEBUG("runtime", "transaction {} has no receipt yet; routing it again (resend {})", hex_encode(digest), entry.resends);
        route(entry.transaction, RequestKind::transaction);
    }
}

void Runtime::Impl::route(Bytes transaction, RequestKind kind) {
    const size_t first = route_of(transaction);
    route(std::move(transaction), kind, first);
}

// Hands the transaction to committee member `first` (in ledger order), or the next reachable one.
void Runtime::Impl::route(Bytes transaction, RequestKind kind, size_t first) {
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

void Runtime::Impl::submit_local(Bytes transaction) {
    auto result = consensus->submit_transaction(transaction, now_us());
    if (!result) {
        if (result.error() == consensus::SubmitError::busy && waiting_transactions.size() < options.inbox_max) {
            waiting_transactions.push_back(std::move(transaction));
        }
        return;
    }
    flush_consensus();
}

// ---- this node's own transactions (docs/formats/ledger-transactions.md: ChangeEpoch, the beacon, Slash) ----

// The reveal of this node for (epoch, round): derived from its consensus key, so a restart
// reveals what it committed without storing a secret.
Hash32 Runtime::Impl::beacon_secret(ledger::Epoch epoch, uint64_t round) const {
    codec::Writer w;
    const auto secret = consensus_key.to_bytes();
    w.fixed(secret.view());
    w.u64(epoch);
    w.u64(round);
    return crypto::blake3_derive_key("fleek-network beacon-reveal v1", w.view());
}

// What a committee member sends for the epoch protocol now: ChangeEpoch once the transition
// time passed, then commit and reveal for the beacon, and the timeouts when a phase expires.
std::optional<ledger::Method> Runtime::Impl::epoch_method(const ledger::Ledger& ledger, ledger::NodeIndex me, uint64_t now_ms) const {
    const ledger::EpochInfo epoch = ledger.epoch_info();
    const auto epoch_committee = ledger.committee(epoch.epoch);
    if (!epoch_committee || !std::binary_search(epoch_committee->members.begin(), epoch_committee->members.end(), me)) return std::nullopt;
    const ledger::ProtocolParams params = ledger.params();
    const uint64_t round = epoch.phase.round;
    std::optional<ledger::BeaconEntry> entry;
    if (auto bytes = ledger.state_value(ledger::tables::beacon(me))) {
        if (auto decoded = codec::decode<ledger::BeaconEntry>(*bytes)) entry = *decoded;
    }
    auto signaled = [](const std::vector<ledger::NodeIndex>& list, ledger::NodeIndex index) {
        return std::binary_search(list.begin(), list.end(), index);
    };
    switch (epoch.phase.kind) {
        case ledger::BeaconPhaseKind::none:
            if (now_ms >= epoch.transition_ms && !signaled(epoch_committee->ready_to_change, me)) return ledger::ChangeEpoch{epoch.epoch};
            break;
        case ledger::BeaconPhaseKind::commit:
            if ((!entry || entry->round != round) && !ledger.state_value(ledger::tables::non_revealer(me))) {
                return ledger::BeaconCommit{epoch.epoch, round, ledger::beacon_commitment(epoch.epoch, round, me, beacon_secret(epoch.epoch, round))};
            }
            if (now_ms >= epoch.phase.start_ms + params.beacon_commit_phase_ms && !signaled(epoch_committee->commit_timeout_signals, me)) {
                return ledger::BeaconCommitTimeout{epoch.epoch, round};
            }
            break;
        case ledger::BeaconPhaseKind::reveal:
            if (entry && entry->round == round && !entry->reveal) return ledger::BeaconReveal{epoch.epoch, round, beacon_secret(epoch.epoch, round)};
            if (now_ms >= epoch.phase.start_ms + params.beacon_reveal_phase_ms && !signaled(epoch_committee->reveal_timeout_signals, me)) {
                return ledger::BeaconRevealTimeout{epoch.epoch, round};
            }
            break;
    }
    return std::nullopt;
}

// Sends this node's next own transaction, signed with the node key, when none is in flight: the
// epoch protocol's first (committee members), then queued Slash evidence and delivery batches. One whose nonce
// stays unused without a receipt is sent again (the same bytes), at most 5 times.
void Runtime::Impl::send_node_transaction(uint64_t now_ms) {
    std::optional<ledger::Method> method;
    std::optional<QueuedMethod> slash;
    uint64_t nonce = 0;
    {
        std::lock_guard lock(chain_lock);
        const ledger::Ledger& ledger = chain->ledger();
        const auto me = ledger.node_index(node_key.public_key());
        const auto info = me ? ledger.node(*me) : std::nullopt;
        if (!info) {
            if (!slash_queue.empty()) {
                FLEEK_LOG_WARN("runtime", "{} own transactions (Slash, delivery acknowledgments) dropped: this node is not registered", slash_queue.size());
                slash_queue.clear();
            }
            return;
        }
        if (slash_in_flight && chain->transaction(slash_in_flight->digest)) slash_in_flight.reset();  // executed (any status)
        // The previous one executed (its nonce is used) or got lost: a new one may go.
        if (driver_nonce > info->nonce && now_ms < driver_sent_ms + 10'000) return;
        if (slash_in_flight) {  // no receipt: lost, or its nonce went to another transaction
            if (slash_in_flight->queued.attempts < 5) slash_queue.push_front(std::move(slash_in_flight->queued));
            slash_in_flight.reset();
        }
        if (consensus) method = epoch_method(ledger, *me, now_ms);
        if (!method && !slash_queue.empty()) {
            slash = std::move(slash_queue.front());
            slash_queue.pop_front();
            method = slash->method;
        }
        nonce = info->nonce + 1;
    }
    if (!method) return;
    const ledger::Transaction transaction{{}, nonce, options.genesis.chain_id, std::move(*method)};
    driver_nonce = nonce;
    driver_sent_ms = now_ms;
    const auto signed_transaction = ledger::sign_transaction(transaction, node_key);
    if (slash) {
        if (slash->attempts++ == 0 && std::holds_alternative<ledger::Slash>(slash->method)) ++slashes_submitted;
        slash_in_flight = SlashInFlight{signed_transaction.transaction.digest(), std::move(*slash)};
    }
    on_transaction(signed_transaction.to_bytes());
}

}  // namespace fleek::node
