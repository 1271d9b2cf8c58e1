#include "edge/transfer_client.h"

#include "edge/transfer_tree.h"
#include "util/assert.h"
#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

#include <algorithm>

namespace fleek::edge {

using content::TransferErrorCode;
using crypto::NodePublicKey;

struct TransferClient::Waiter {
    FetchId id = 0;
    std::shared_ptr<FetchSink> sink;
    uint64_t next_block = 0;  // the next block this waiter gets
    bool announced = false;   // on_file was called
};

struct TransferClient::Transfer {
    explicit Transfer(const NodePublicKey& provider) : peer(provider) {}
    uint64_t request_id = 0;
    NodePublicKey peer;
    Key key;
    std::optional<content::ObjectKind> expect;
    uint64_t started_ms = 0;
    uint64_t last_message_ms = 0;
    uint64_t deadline_ms = 0;

    enum class State : uint8_t { awaiting_header, file, directory } state = State::awaiting_header;
    // Files.
    uint64_t content_length = 0;
    uint64_t end_block = 0;  // resolved from the file message
    std::optional<content::BlockVerifier> verifier;
    std::shared_ptr<content::PartialWriter> partial;
    bool announced = false;  // the first block verified
    // Directories.
    uint32_t encoding_length = 0;
    Bytes encoding;
    std::optional<content::Directory> directory;  // decoded and checked against the hash
    // Credit: messages the provider may send = granted - received.
    uint64_t granted = 0;
    uint64_t received = 0;
    uint32_t uncredited = 0;  // received and consumed, not credited back yet

    std::vector<Waiter> waiters;
};

// A waiter that joined late, replaying the blocks it missed after its transfer succeeded.
struct TransferClient::CatchUp {
    Waiter waiter;
    std::shared_ptr<content::PartialWriter> partial;
    uint64_t first_block = 0;
    uint64_t end_block = 0;
    Fetched outcome;
};

std::string_view to_string(FetchFailure failure) noexcept {
    switch (failure) {
        case FetchFailure::not_found: return "not found";
        case FetchFailure::busy: return "provider busy";
        case FetchFailure::refused: return "refused by the provider";
        case FetchFailure::peer_stalled: return "provider stalled";
        case FetchFailure::deadline_exceeded: return "deadline exceeded";
        case FetchFailure::bad_frame: return "protocol violation";
        case FetchFailure::proof_rejected: return "proof rejected";
        case FetchFailure::directory_rejected: return "directory rejected";
        case FetchFailure::peer_disconnected: return "provider disconnected";
        case FetchFailure::cancelled: return "cancelled";
        case FetchFailure::store_failed: return "blockstore write failed";
        case FetchFailure::too_large: return "content too large";
    }
    return "fetch failure";
}

std::string_view to_string(StartError error) noexcept {
    switch (error) {
        case StartError::at_capacity: return "too many transfers";
        case StartError::peer_at_capacity: return "too many transfers with this peer";
        case StartError::send_failed: return "request could not be sent";
        case StartError::invalid_range: return "empty or impossible block range";
    }
    return "start error";
}

std::string FetchError::describe() const {
    std::string text = fmt::format("{} at block {}", to_string(failure), block);
    if (verify_error) text += fmt::format(": {}", content::to_string(*verify_error));
    if (answer) text += fmt::format(" (provider: {})", content::to_string(*answer));
    return text;
}

TransferClient::TransferClient(content::Blockstore& store, TransferSend send, TransferClientOptions options)
    : m_store(store), m_send(std::move(send)), m_options(options) {
    FLEEK_ASSERT(m_options.window_blocks >= 1 && m_options.window_blocks <= content::transfer_window_max);
}

TransferClient::~TransferClient() = default;

RequesterPeerStats& TransferClient::peer_stats(const NodePublicKey& peer) { return m_stats[peer]; }

RequesterPeerStats TransferClient::stats(const NodePublicKey& peer) const {
    auto it = m_stats.find(peer);
    return it == m_stats.end() ? RequesterPeerStats{} : it->second;
}

size_t TransferClient::transfers_with(const NodePublicKey& peer) const {
    auto it = m_per_peer.find(peer);
    return it == m_per_peer.end() ? 0 : it->second;
}

std::shared_ptr<content::PartialWriter> TransferClient::partial(const content::Hash32& hash) const {
    auto it = m_partials.find(hash);
    return it == m_partials.end() ? nullptr : it->second.lock();
}

bool TransferClient::can_start(const NodePublicKey& peer) const {
    return m_transfers.size() < m_options.transfers_max && transfers_with(peer) < m_options.transfers_per_peer_max;
}

// ------------------------------------------------------------------------------------ starting

Result<FetchId, StartError> TransferClient::fetch(const NodePublicKey& peer, const FetchRequest& request,
                                                  std::shared_ptr<FetchSink> sink, uint64_t now_ms) {
    FLEEK_ASSERT(sink != nullptr);
    m_now_ms = now_ms;
    if ((request.end_block != 0 && request.end_block <= request.first_block) || request.first_block >= content::transfer_blocks_max ||
        request.end_block > content::transfer_blocks_max) {
        return fleek::fail(StartError::invalid_range);
    }
    const Key key{request.hash, request.first_block, request.end_block};
    if (auto joined = m_by_key.find(key); joined != m_by_key.end()) {
        Transfer& transfer = *m_transfers.at(joined->second);
        const FetchId id = m_next_id++;
        transfer.waiters.push_back(Waiter{id, std::move(sink), request.first_block, false});
        m_waiting.emplace(id, transfer.request_id);
        return id;  // blocks it missed are replayed by catch_up()
    }
    if (m_transfers.size() >= m_options.transfers_max) return fleek::fail(StartError::at_capacity);
    if (transfers_with(peer) >= m_options.transfers_per_peer_max) return fleek::fail(StartError::peer_at_capacity);

    const uint64_t request_id = m_next_id++;
    const content::TransferRequest message{request.hash, request.first_block, request.end_block, m_options.window_blocks};
    net::FramePayload payload = transfer_payload(content::encode_transfer_message({request_id, message}));
    if (m_send(peer, payload) != net::SendResult::queued) {
        return fleek::fail(StartError::send_failed);
    }
    auto transfer = std::make_unique<Transfer>(peer);
    transfer->request_id = request_id;
    transfer->key = key;
    transfer->expect = request.expect;
    transfer->started_ms = now_ms;
    transfer->last_message_ms = now_ms;
    transfer->deadline_ms = request.deadline_ms.value_or(now_ms + m_options.deadline_ms);
    transfer->granted = m_options.window_blocks;
    const FetchId id = m_next_id++;
    transfer->waiters.push_back(Waiter{id, std::move(sink), request.first_block, false});
    m_waiting.emplace(id, request_id);
    m_by_key.emplace(key, request_id);
    m_transfers.emplace(request_id, std::move(transfer));
    ++m_per_peer[peer];
    ++peer_stats(peer).started;
    return id;
}

// ------------------------------------------------------------------------------------ messages

void TransferClient::on_message(const NodePublicKey& from, ByteSpan payload, uint64_t now_ms, std::shared_ptr<const void> owner) {
    m_now_ms = now_ms;
    RequesterPeerStats& stats = peer_stats(from);
    auto decoded = content::decode_transfer_message(payload);
    if (!decoded || content::transfer_direction(payload) != content::TransferDirection::to_requester) {
        ++stats.bad_messages;
    } else if (auto it = m_transfers.find(decoded->request_id); it == m_transfers.end() || it->second->peer != from) {
        auto ended = m_recently_ended.find(decoded->request_id);
        if (ended != m_recently_ended.end() && ended->second.peer == from) {
            ++stats.late_messages;
        } else {
            ++stats.bad_messages;  // unrequested
        }
    } else {
        stats.bytes_received += payload.size();
        it->second->last_message_ms = now_ms;
        handle(from, *it->second, *decoded, now_ms, owner);
    }
    catch_up(now_ms);
    pump_trees(now_ms);
    run_completions();
}

void TransferClient::handle(const NodePublicKey& from, Transfer& transfer, const content::TransferMessage& message, uint64_t now_ms,
                            const std::shared_ptr<const void>& owner) {
    using State = Transfer::State;
    const auto protocol_error = [&] {
        ++peer_stats(from).bad_messages;
        const uint64_t next = transfer.verifier ? transfer.verifier->next_block() : transfer.key.first_block;
        fail_transfer(transfer, FetchError{FetchFailure::bad_frame, next, {}, {}, {}}, now_ms, true);
    };
    if (const auto* error = std::get_if<content::TransferError>(&message.body)) {
        const FetchFailure failure = error->code == TransferErrorCode::not_found ? FetchFailure::not_found
                                     : error->code == TransferErrorCode::busy    ? FetchFailure::busy
                                                                                 : FetchFailure::refused;
        const uint64_t next = transfer.verifier ? transfer.verifier->next_block() : transfer.key.first_block;
        fail_transfer(transfer, FetchError{failure, next, {}, error->code, {}}, now_ms, false);
    } else if (const auto* file = std::get_if<content::TransferFile>(&message.body)) {
        if (transfer.state != State::awaiting_header || transfer.expect == content::ObjectKind::directory) return protocol_error();
        const uint64_t end = transfer.key.end_block == 0 ? content::block_count(file->content_length) : transfer.key.end_block;
        if (file->first_block != transfer.key.first_block || file->end_block != end) return protocol_error();
        on_file(transfer, *file);
    } else if (const auto* block = std::get_if<content::TransferBlock>(&message.body)) {
        if (transfer.state != State::file || block->index != transfer.verifier->next_block()) return protocol_error();
        if (!take_credit(transfer)) return protocol_error();
        on_block(transfer, *block, now_ms, owner);
    } else if (const auto* directory = std::get_if<content::TransferDirectory>(&message.body)) {
        if (transfer.state != State::awaiting_header || transfer.expect == content::ObjectKind::file ||
            transfer.key.first_block != 0 || transfer.key.end_block != 0) {
            return protocol_error();
        }
        if (m_directory_bytes + directory->encoding_length > m_options.directory_bytes_max) {
            return fail_transfer(transfer, FetchError{FetchFailure::too_large, 0, {}, {}, {}}, now_ms, true);
        }
        transfer.state = State::directory;
        transfer.encoding_length = directory->encoding_length;
        m_directory_bytes += directory->encoding_length;
    } else if (const auto* part = std::get_if<content::TransferDirectoryPart>(&message.body)) {
        if (transfer.state != State::directory || part->offset != transfer.encoding.size() ||
            transfer.encoding.size() + part->bytes.size() > transfer.encoding_length) {
            return protocol_error();
        }
        if (!take_credit(transfer)) return protocol_error();
        on_directory_part(transfer, *part, now_ms);
    } else {
        FLEEK_ASSERT(false);  // requester-side types were filtered by direction
    }
}

void TransferClient::on_file(Transfer& transfer, const content::TransferFile& file) {
    std::shared_ptr<content::PartialWriter> partial;
    if (auto known = m_partials.find(transfer.key.hash); known != m_partials.end()) {
        partial = known->second.lock();
        if (partial && partial->content_length() != file.content_length) partial.reset();
    }
    if (!partial) {
        auto begun = m_store.begin_fetch(transfer.key.hash, file.content_length);
        if (!begun) {
            const FetchFailure failure = begun.error() == content::BlockstoreError::too_large ? FetchFailure::too_large : FetchFailure::store_failed;
            return fail_transfer(transfer, FetchError{failure, file.first_block, {}, {}, {}}, m_now_ms, true);
        }
        partial = std::move(*begun);
        m_partials[transfer.key.hash] = partial;
    }
    transfer.partial = std::move(partial);
    transfer.content_length = file.content_length;
    transfer.end_block = file.end_block;
    transfer.verifier.emplace(transfer.key.hash, file.content_length, file.first_block);
    transfer.state = Transfer::State::file;
}

bool TransferClient::take_credit(Transfer& transfer) {
    if (transfer.received >= transfer.granted) return false;  // more than the window allows
    ++transfer.received;
    ++transfer.uncredited;
    return true;
}

// Credits every consumed message at once (a 22-byte frame per block of up to 256 KiB), so a
// provider that uses a smaller window than ours never waits for a batch to fill.
void TransferClient::return_credit(Transfer& transfer) {
    if (transfer.uncredited == 0) return;
    const content::TransferCredit credit{transfer.uncredited};
    // Kept for the next call when the queue refuses it.
    net::FramePayload payload = transfer_payload(content::encode_transfer_message({transfer.request_id, credit}));
    if (m_send(transfer.peer, payload) == net::SendResult::queued) {
        transfer.granted += transfer.uncredited;
        transfer.uncredited = 0;
    }
}

void TransferClient::on_block(Transfer& transfer, const content::TransferBlock& block, uint64_t now_ms,
                              const std::shared_ptr<const void>& owner) {
    const uint64_t index = block.index;
    if (auto proven = transfer.verifier->accept_proof(block.proof); !proven) {
        return fail_transfer(transfer, FetchError{FetchFailure::proof_rejected, index, proven.error(), {}, {}}, now_ms, true);
    }
    auto verified = transfer.verifier->accept_block(block.bytes);
    if (!verified) return fail_transfer(transfer, FetchError{FetchFailure::proof_rejected, index, verified.error(), {}, {}}, now_ms, true);
    ++peer_stats(transfer.peer).blocks_verified;
    transfer.announced = true;
    // Verified: the waiters get it first (a reader's first byte does not wait for the disk
    // write), then it is written, before anything else happens (catch-up replays, other
    // transfers, the commit all see it held).
    std::vector<size_t> stopped;
    for (size_t i = 0; i < transfer.waiters.size(); ++i) {
        Waiter& waiter = transfer.waiters[i];
        if (waiter.next_block != index) continue;  // behind: catch_up() replays from the partial
        deliver(waiter, {transfer.content_length, transfer.key.first_block, transfer.end_block}, index, block.bytes, owner);
        if (!waiter.sink) stopped.push_back(i);
    }
    for (auto it = stopped.rbegin(); it != stopped.rend(); ++it) {
        Waiter waiter = std::move(transfer.waiters[*it]);
        transfer.waiters.erase(transfer.waiters.begin() + static_cast<std::ptrdiff_t>(*it));
        m_waiting.erase(waiter.id);
    }
    if (auto written = transfer.partial->write(*verified); !written) {
        return fail_transfer(transfer, FetchError{FetchFailure::store_failed, index, {}, {}, {}}, now_ms, true);
    }
    if (transfer.waiters.empty()) {
        return fail_transfer(transfer, FetchError{FetchFailure::cancelled, index + 1, {}, {}, {}}, now_ms, true);
    }
    return_credit(transfer);
    if (transfer.verifier->next_block() == transfer.end_block) succeed(transfer, now_ms);
}

// Hands one block to a waiter; a sink that refuses it ends the waiter (cancelled) and is cleared.
void TransferClient::deliver(Waiter& waiter, const FileRange& file, uint64_t index, ByteSpan bytes,
                             const std::shared_ptr<const void>& owner) {
    FLEEK_ASSERT(waiter.next_block == index);
    if (!waiter.announced) {
        waiter.sink->on_file(file.content_length, file.first_block, file.end_block);
        waiter.announced = true;
    }
    if (!waiter.sink->on_shared_block(index, bytes, owner)) {
        complete_waiter(std::move(waiter), fleek::fail(FetchError{FetchFailure::cancelled, index, {}, {}, {}}));
        waiter.sink.reset();
        return;
    }
    ++waiter.next_block;
}

void TransferClient::on_directory_part(Transfer& transfer, const content::TransferDirectoryPart& part, uint64_t now_ms) {
    transfer.encoding.insert(transfer.encoding.end(), part.bytes.begin(), part.bytes.end());
    const bool complete = transfer.encoding.size() == transfer.encoding_length;
    return_credit(transfer);
    if (!complete) return;
    auto directory = content::Directory::decode(transfer.encoding);
    if (!directory || directory->hash() != transfer.key.hash) {
        return fail_transfer(transfer, FetchError{FetchFailure::directory_rejected, 0, {}, {}, {}}, now_ms, true);
    }
    transfer.directory = std::move(*directory);
    transfer.encoding = Bytes();
    succeed(transfer, now_ms);
}

// ------------------------------------------------------------------------------------ endings

void TransferClient::succeed(Transfer& transfer, uint64_t now_ms) {
    Fetched fetched;
    if (transfer.state == Transfer::State::directory) {
        fetched.is_directory = true;
        fetched.directory = std::move(transfer.directory);
    } else {
        fetched.content_length = transfer.content_length;
        if (transfer.partial->complete()) {
            if (auto committed = transfer.partial->commit(); !committed) {
                return fail_transfer(transfer, FetchError{FetchFailure::store_failed, transfer.end_block, {}, {}, {}}, now_ms, false);
            }
            fetched.stored = true;
        } else {
            fetched.partial = transfer.partial;
        }
    }
    const auto owned = std::move(m_transfers.at(transfer.request_id));
    ++peer_stats(owned->peer).succeeded;
    remove_transfer(*owned, now_ms);
    for (Waiter& waiter : owned->waiters) {
        if (!fetched.is_directory && waiter.next_block < owned->end_block) {
            m_catching_up.push_back(CatchUp{std::move(waiter), owned->partial, owned->key.first_block, owned->end_block, fetched});
        } else {
            complete_waiter(std::move(waiter), fetched);
        }
    }
}

void TransferClient::fail_transfer(Transfer& transfer, FetchError error, uint64_t now_ms, bool tell_provider) {
    if (tell_provider) {
        net::FramePayload payload = transfer_payload(content::encode_transfer_message({transfer.request_id, content::TransferCancel{}}));
        (void)m_send(transfer.peer, payload);
    }
    error.partial = transfer.partial;
    RequesterPeerStats& stats = peer_stats(transfer.peer);
    ++stats.failures[static_cast<size_t>(error.failure)];
    m_recently_ended.insert_or_assign(transfer.request_id, Ended{transfer.peer, now_ms + m_options.stall_timeout_ms});
    if (error.failure != FetchFailure::cancelled) {
        FLEEK_LOG_DEBUG("edge", "fetch of {} from {}: {}", hex_encode(transfer.key.hash), transfer.peer.to_string(), error.describe());
    }
    const auto owned = std::move(m_transfers.at(transfer.request_id));
    // Our own cancellations and disk failures are not the provider's.
    const bool provider_failed = error.failure != FetchFailure::cancelled && error.failure != FetchFailure::store_failed;
    if (provider_failed) ++stats.failed;
    remove_transfer(*owned, now_ms);
    for (Waiter& waiter : owned->waiters) complete_waiter(std::move(waiter), fleek::fail(error));
}

// Removes a transfer from every index (its waiters are the caller's to complete).
void TransferClient::remove_transfer(Transfer& transfer, uint64_t now_ms) {
    RequesterPeerStats& stats = peer_stats(transfer.peer);
    stats.transfer_ms += now_ms - std::min(now_ms, transfer.started_ms);
    if (transfer.state == Transfer::State::directory) m_directory_bytes -= transfer.encoding_length;
    m_by_key.erase(transfer.key);
    for (const Waiter& waiter : transfer.waiters) m_waiting.erase(waiter.id);
    if (auto count = m_per_peer.find(transfer.peer); count != m_per_peer.end() && --count->second == 0) m_per_peer.erase(count);
    m_transfers.erase(transfer.request_id);
}

void TransferClient::complete_waiter(Waiter waiter, Result<Fetched, FetchError> outcome) {
    if (!waiter.sink) return;  // already ended (its sink stopped)
    m_completions.emplace_back([sink = std::move(waiter.sink), outcome = std::move(outcome)] { sink->on_done(outcome); });
}

void TransferClient::run_completions() {
    if (m_running_completions) return;
    m_running_completions = true;
    // on_done may start or cancel fetches, which may queue more completions: run until none.
    for (size_t i = 0; i < m_completions.size(); ++i) {
        auto completion = std::move(m_completions[i]);
        completion();
    }
    m_completions.clear();
    m_running_completions = false;
}

// ------------------------------------------------------------------------------------ late waiters

void TransferClient::catch_up(uint64_t now_ms) {
    const size_t budget = m_options.catch_up_blocks_per_call;
    const auto replay = [&](Waiter& waiter, content::PartialWriter& partial, uint64_t first, uint64_t end, uint64_t length,
                            uint64_t until) {
        for (size_t done = 0; done < budget && waiter.sink && waiter.next_block < until; ++done) {
            auto block = partial.read_block(waiter.next_block);
            if (!block) {
                complete_waiter(std::move(waiter), fleek::fail(FetchError{FetchFailure::store_failed, waiter.next_block, {}, {}, {}}));
                waiter.sink.reset();
                return;
            }
            deliver(waiter, {length, first, end}, waiter.next_block, (*block)->view(), *block);
        }
    };
    std::vector<uint64_t> emptied;
    for (auto& [request_id, transfer] : m_transfers) {
        if (!transfer->announced) continue;
        const uint64_t until = transfer->verifier->next_block();
        for (Waiter& waiter : transfer->waiters) {
            if (waiter.sink && waiter.next_block < until) {
                replay(waiter, *transfer->partial, transfer->key.first_block, transfer->end_block, transfer->content_length, until);
            }
        }
        std::erase_if(transfer->waiters, [&](const Waiter& waiter) {
            if (waiter.sink) return false;
            m_waiting.erase(waiter.id);
            return true;
        });
        if (transfer->waiters.empty()) emptied.push_back(request_id);
    }
    for (const uint64_t request_id : emptied) {
        Transfer& transfer = *m_transfers.at(request_id);
        fail_transfer(transfer, FetchError{FetchFailure::cancelled, transfer.verifier->next_block(), {}, {}, {}}, now_ms, true);
    }
    for (auto it = m_catching_up.begin(); it != m_catching_up.end();) {
        CatchUp& entry = *it;
        replay(entry.waiter, *entry.partial, entry.first_block, entry.end_block, entry.outcome.content_length, entry.end_block);
        if (entry.waiter.sink && entry.waiter.next_block == entry.end_block) {
            complete_waiter(std::move(entry.waiter), std::move(entry.outcome));
            entry.waiter.sink.reset();
        }
        it = entry.waiter.sink ? std::next(it) : m_catching_up.erase(it);
    }
}

// ------------------------------------------------------------------------------------ control

void TransferClient::cancel(FetchId id, uint64_t now_ms) {
    m_now_ms = now_ms;
    cancel_fetch(id, now_ms);
    pump_trees(now_ms);
    run_completions();
}

void TransferClient::cancel_fetch(FetchId id, uint64_t now_ms) {
    if (m_trees.count(id) != 0) {
        finish_tree(id, fleek::fail(TreeFetchError{m_trees.at(id)->root, FetchError{FetchFailure::cancelled, 0, {}, {}, {}}}));
    } else if (auto waiting = m_waiting.find(id); waiting != m_waiting.end()) {
        Transfer& transfer = *m_transfers.at(waiting->second);
        m_waiting.erase(waiting);
        const uint64_t next = transfer.verifier ? transfer.verifier->next_block() : transfer.key.first_block;
        auto it = std::find_if(transfer.waiters.begin(), transfer.waiters.end(), [&](const Waiter& w) { return w.id == id; });
        FLEEK_ASSERT(it != transfer.waiters.end());
        complete_waiter(std::move(*it), fleek::fail(FetchError{FetchFailure::cancelled, next, {}, {}, transfer.partial}));
        transfer.waiters.erase(it);
        if (transfer.waiters.empty()) fail_transfer(transfer, FetchError{FetchFailure::cancelled, next, {}, {}, {}}, now_ms, true);
    } else {
        for (auto it = m_catching_up.begin(); it != m_catching_up.end(); ++it) {
            if (it->waiter.id != id) continue;
            complete_waiter(std::move(it->waiter), fleek::fail(FetchError{FetchFailure::cancelled, it->waiter.next_block, {}, {}, it->partial}));
            m_catching_up.erase(it);
            break;
        }
    }
}

void TransferClient::on_peer_disconnected(const NodePublicKey& peer, uint64_t now_ms) {
    m_now_ms = now_ms;
    std::vector<uint64_t> gone;
    for (const auto& [request_id, transfer] : m_transfers) {
        if (transfer->peer == peer) gone.push_back(request_id);
    }
    for (const uint64_t request_id : gone) {
        Transfer& transfer = *m_transfers.at(request_id);
        const uint64_t next = transfer.verifier ? transfer.verifier->next_block() : transfer.key.first_block;
        fail_transfer(transfer, FetchError{FetchFailure::peer_disconnected, next, {}, {}, {}}, now_ms, false);
    }
    pump_trees(now_ms);
    run_completions();
}

void TransferClient::tick(uint64_t now_ms) {
    m_now_ms = now_ms;
    std::vector<std::pair<uint64_t, FetchFailure>> expired;
    for (const auto& [request_id, transfer] : m_transfers) {
        if (now_ms >= transfer->deadline_ms) {
            expired.emplace_back(request_id, FetchFailure::deadline_exceeded);
        } else if (now_ms - std::min(now_ms, transfer->last_message_ms) >= m_options.stall_timeout_ms) {
            expired.emplace_back(request_id, FetchFailure::peer_stalled);
        } else {
            return_credit(*transfer);  // credit a full queue refused earlier
        }
    }
    for (const auto& [request_id, failure] : expired) {
        Transfer& transfer = *m_transfers.at(request_id);
        const uint64_t next = transfer.verifier ? transfer.verifier->next_block() : transfer.key.first_block;
        fail_transfer(transfer, FetchError{failure, next, {}, {}, {}}, now_ms, true);
    }
    std::erase_if(m_recently_ended, [&](const auto& entry) { return entry.second.until_ms <= now_ms; });
    std::erase_if(m_partials, [](const auto& entry) { return entry.second.expired(); });
    catch_up(now_ms);
    pump_trees(now_ms);
    run_completions();
}

}  // namespace fleek::edge
