#include "edge/transfer_server.h"

#include "content/directory.h"
#include "util/assert.h"
#include "util/encoding.h"
#include "util/log.h"

#include <algorithm>

namespace fleek::edge {

using content::TransferErrorCode;
using crypto::NodePublicKey;

struct TransferServer::Transfer {
    uint64_t id = 0;
    content::Hash32 hash{};
    bool is_directory = false;
    // Files: the tree (kept alive for the walker) and the next block of [next, end).
    std::shared_ptr<const content::HashTree> tree;
    std::optional<content::ProofWalker> walker;
    uint64_t next = 0;
    uint64_t end = 0;
    // Directories: the encoding and how much of it was sent.
    Bytes encoding;
    size_t encoding_sent = 0;

    uint32_t window = 1;
    std::deque<uint32_t> unacked;  // sizes of sent messages not credited back yet
    std::optional<net::FramePayload> held;  // the next message, kept while the send queue refuses it
    uint64_t started_ms = 0;
    uint64_t last_credit_ms = 0;

    bool all_sent() const { return !held && (is_directory ? encoding_sent == encoding.size() : next == end); }
};

struct TransferServer::Peer {
    std::map<uint64_t, Transfer> transfers;
    uint64_t unacked_bytes = 0;
    uint64_t cursor = 0;  // round-robin: the id served last
    ProviderPeerStats stats;
};

TransferServer::TransferServer(content::Blockstore& store, TransferSend send, TransferServerOptions options)
    : m_store(store), m_send(std::move(send)), m_options(options) {
    FLEEK_ASSERT(m_options.window_blocks_max >= 1 && m_options.transfers_per_peer_max >= 1);
}

TransferServer::~TransferServer() = default;

size_t TransferServer::transfers_with(const NodePublicKey& peer) const {
    auto it = m_peers.find(peer);
    return it == m_peers.end() ? 0 : it->second->transfers.size();
}

uint64_t TransferServer::unacked_bytes(const NodePublicKey& peer) const {
    auto it = m_peers.find(peer);
    return it == m_peers.end() ? 0 : it->second->unacked_bytes;
}

ProviderPeerStats TransferServer::stats(const NodePublicKey& peer) const {
    auto it = m_peers.find(peer);
    return it == m_peers.end() ? ProviderPeerStats{} : it->second->stats;
}

void TransferServer::on_message(const NodePublicKey& from, ByteSpan payload, uint64_t now_ms) {
    auto& slot = m_peers[from];
    if (!slot) slot = std::make_unique<Peer>();
    Peer& peer = *slot;
    auto decoded = content::decode_transfer_message(payload);
    if (!decoded) {
        ++peer.stats.bad_messages;
        // A malformed request still names its id: tell the requester instead of letting it wait.
        if (payload.size() >= content::transfer_prefix_bytes && payload[0] == static_cast<uint8_t>(content::TransferType::request)) {
            uint64_t id = 0;
            for (size_t i = 0; i < 8; ++i) id |= static_cast<uint64_t>(payload[1 + i]) << (8 * i);
            if (peer.transfers.count(id) != 0) finish(peer, id, End::replaced, now_ms);
            answer(from, peer, id, TransferErrorCode::bad_request);
        }
        return;
    }
    const uint64_t id = decoded->request_id;
    if (const auto* request = std::get_if<content::TransferRequest>(&decoded->body)) {
        on_request(from, peer, id, *request, now_ms);
    } else if (const auto* credit = std::get_if<content::TransferCredit>(&decoded->body)) {
        on_credit(peer, id, credit->blocks, now_ms);
    } else if (std::holds_alternative<content::TransferCancel>(decoded->body)) {
        if (peer.transfers.count(id) == 0) {
            ++peer.stats.stale_messages;
            return;
        }
        finish(peer, id, End::cancelled, now_ms);
    } else {
        ++peer.stats.bad_messages;  // a message for the requester side
        return;
    }
    pump(from, peer, now_ms);
}

void TransferServer::on_request(const NodePublicKey& from, Peer& peer, uint64_t id, const content::TransferRequest& request,
                                uint64_t now_ms) {
    ++peer.stats.requests;
    if (peer.transfers.count(id) != 0) {
        // The id is already open: both end, so the two sides agree on what is open.
        finish(peer, id, End::replaced, now_ms);
        answer(from, peer, id, TransferErrorCode::bad_request);
        return;
    }
    if (m_transfer_count >= m_options.transfers_max || peer.transfers.size() >= m_options.transfers_per_peer_max) {
        answer(from, peer, id, TransferErrorCode::busy);
        return;
    }
    Transfer transfer;
    transfer.id = id;
    transfer.hash = request.hash;
    transfer.window = std::min<uint32_t>(request.window, m_options.window_blocks_max);
    transfer.started_ms = now_ms;
    transfer.last_credit_ms = now_ms;
    if (auto refused = open(transfer, request)) {
        answer(from, peer, id, *refused);
        return;
    }
    const Bytes header = transfer.is_directory
                             ? content::encode_transfer_message({id, content::TransferDirectory{static_cast<uint32_t>(transfer.encoding.size())}})
                             : content::encode_transfer_message({id, content::TransferFile{transfer.tree->content_length(), transfer.next, transfer.end}});
    transfer.held = transfer_payload(header);
    m_directory_bytes += transfer.encoding.size();
    peer.transfers.emplace(id, std::move(transfer));
    ++m_transfer_count;
}

std::optional<TransferErrorCode> TransferServer::open(Transfer& transfer, const content::TransferRequest& request) {
    const auto info = m_store.info(request.hash);
    if (!info) return TransferErrorCode::not_found;
    if (info->kind == content::ObjectKind::directory) {
        if (request.first_block != 0 || request.end_block != 0) return TransferErrorCode::bad_request;
        auto directory = m_store.directory(request.hash);
        if (!directory) {
            return directory.error() == content::BlockstoreError::not_found ? TransferErrorCode::not_found : TransferErrorCode::unavailable;
        }
        transfer.encoding = directory->encode();
        if (transfer.encoding.size() > content::transfer_directory_bytes_max) return TransferErrorCode::too_large;
        if (m_directory_bytes + transfer.encoding.size() > m_options.directory_bytes_max) return TransferErrorCode::busy;
        transfer.is_directory = true;
        return std::nullopt;
    }
    auto tree = m_store.tree(request.hash);
    if (!tree) return tree.error() == content::BlockstoreError::not_found ? TransferErrorCode::not_found : TransferErrorCode::unavailable;
    const uint64_t blocks = (*tree)->blocks();
    const uint64_t end = request.end_block == 0 ? blocks : request.end_block;
    if (request.first_block >= blocks || end > blocks) return TransferErrorCode::bad_range;
    transfer.tree = std::move(*tree);
    transfer.next = request.first_block;
    transfer.end = end;
    transfer.walker.emplace(*transfer.tree, request.first_block);
    return std::nullopt;
}

void TransferServer::on_credit(Peer& peer, uint64_t id, uint32_t blocks, uint64_t now_ms) {
    auto it = peer.transfers.find(id);
    if (it == peer.transfers.end()) {
        ++peer.stats.stale_messages;
        return;
    }
    Transfer& transfer = it->second;
    if (blocks > transfer.unacked.size()) {
        ++peer.stats.bad_messages;
        finish(peer, id, End::replaced, now_ms);
        return;
    }
    for (uint32_t i = 0; i < blocks; ++i) {
        peer.unacked_bytes -= transfer.unacked.front();
        transfer.unacked.pop_front();
    }
    transfer.last_credit_ms = now_ms;
    if (transfer.all_sent() && transfer.unacked.empty()) finish(peer, id, End::completed, now_ms);
}

void TransferServer::answer(const NodePublicKey& to, Peer& peer, uint64_t id, TransferErrorCode code) {
    switch (code) {
        case TransferErrorCode::busy: ++peer.stats.busy; break;
        case TransferErrorCode::not_found: ++peer.stats.not_found; break;
        case TransferErrorCode::unavailable: ++peer.stats.failed; break;
        case TransferErrorCode::bad_request:
        case TransferErrorCode::bad_range:
        case TransferErrorCode::too_large: ++peer.stats.bad_requests; break;
    }
    net::FramePayload message = transfer_payload(content::encode_transfer_message({id, content::TransferError{code}}));
    const size_t size = message.size();
    // An answer the queue refuses is lost; the requester's stall timeout covers it.
    if (m_send(to, message) == net::SendResult::queued) peer.stats.bytes_sent += size;
}

void TransferServer::pump(const NodePublicKey& key, Peer& peer, uint64_t now_ms) {
    bool progressed = true;
    while (progressed && !peer.transfers.empty()) {
        progressed = false;
        // One message per transfer per round, starting after the one served last.
        std::vector<uint64_t> order;
        order.reserve(peer.transfers.size());
        for (auto it = peer.transfers.upper_bound(peer.cursor); it != peer.transfers.end(); ++it) order.push_back(it->first);
        for (auto it = peer.transfers.begin(); it != peer.transfers.end() && it->first <= peer.cursor; ++it) order.push_back(it->first);
        for (const uint64_t id : order) {
            auto it = peer.transfers.find(id);
            if (it == peer.transfers.end()) continue;
            switch (send_next(key, peer, it->second, now_ms)) {
                case Step::sent:
                    peer.cursor = id;
                    progressed = true;
                    break;
                case Step::idle: break;
                case Step::blocked: return;  // the queue is full: offered again on the next call
                case Step::gone: return;  // the peer left the transport: its transfers were dropped
            }
        }
    }
}

TransferServer::Step TransferServer::send_next(const NodePublicKey& key, Peer& peer, Transfer& transfer, uint64_t now_ms) {
    if (transfer.held) return offer(key, peer, transfer, now_ms);
    if (transfer.all_sent() || transfer.unacked.size() >= transfer.window) return Step::idle;
    size_t next_size = 0;
    if (transfer.is_directory) {
        next_size = content::transfer_prefix_bytes + 4 +
                    std::min(content::transfer_directory_part_bytes_max, transfer.encoding.size() - transfer.encoding_sent);
    } else {
        next_size = content::transfer_block_message_bytes(content::proof_hashes_max, content::block_length(transfer.tree->content_length(), transfer.next));
    }
    if (peer.unacked_bytes != 0 && peer.unacked_bytes + next_size > m_options.peer_unacked_bytes_max) return Step::idle;
    if (!within_rate(next_size, now_ms)) return Step::idle;  // tick() offers it again

    net::FramePayload message;
    if (transfer.is_directory) {
        const size_t take = std::min(content::transfer_directory_part_bytes_max, transfer.encoding.size() - transfer.encoding_sent);
        message = transfer_payload(content::encode_transfer_directory_part(transfer.id, static_cast<uint32_t>(transfer.encoding_sent),
                                                                           ByteSpan(transfer.encoding).subspan(transfer.encoding_sent, take)));
        transfer.encoding_sent += take;
    } else {
        auto block = m_store.read_block(transfer.hash, transfer.next);
        if (!block) {
            FLEEK_LOG_WARN("edge", "transfer of {} block {}: {}", hex_encode(transfer.hash), transfer.next, content::to_string(block.error()));
            const uint64_t id = transfer.id;
            finish(peer, id, End::failed, now_ms);
            answer(key, peer, id, TransferErrorCode::unavailable);
            return Step::sent;  // the transfer ended: a change worth another round
        }
        // The block goes out from the verified buffer the blockstore returned (its cache's):
        // only the message header and the proof are built.
        message.head = content::encode_transfer_block_header(transfer.id, transfer.next, transfer.walker->next_proof());
        message.tail = (*block)->view();
        message.tail_owner = std::move(*block);
        ++transfer.next;
        ++peer.stats.blocks_sent;
    }
    m_rate_tokens -= std::min<uint64_t>(m_rate_tokens, message.size());
    transfer.unacked.push_back(static_cast<uint32_t>(message.size()));
    peer.unacked_bytes += message.size();
    transfer.held = std::move(message);
    return offer(key, peer, transfer, now_ms);
}

bool TransferServer::within_rate(size_t bytes, uint64_t now_ms) {
    const uint64_t rate = m_options.bytes_per_second;
    if (rate == 0) return true;
    const uint64_t bucket = std::max<uint64_t>(rate / 10, content::transfer_message_bytes_max);
    if (!m_rate_refilled_ms) {
        m_rate_tokens = bucket;
    } else if (now_ms > *m_rate_refilled_ms) {
        const uint64_t elapsed_ms = std::min<uint64_t>(now_ms - *m_rate_refilled_ms, 1000);
        m_rate_tokens = std::min(bucket, m_rate_tokens + elapsed_ms * rate / 1000);
    }
    m_rate_refilled_ms = std::max(now_ms, m_rate_refilled_ms.value_or(0));
    return m_rate_tokens >= bytes;
}

TransferServer::Step TransferServer::offer(const NodePublicKey& key, Peer& peer, Transfer& transfer, uint64_t now_ms) {
    const size_t size = transfer.held->size();
    switch (m_send(key, *transfer.held)) {  // takes the message only when queued
        case net::SendResult::queued:
            transfer.held.reset();
            peer.stats.bytes_sent += size;
            return Step::sent;
        case net::SendResult::queue_full: return Step::blocked;
        case net::SendResult::unknown_peer:
        case net::SendResult::stopped: break;
    }
    on_peer_disconnected(key, now_ms);
    return Step::gone;
}

void TransferServer::finish(Peer& peer, uint64_t id, End end, uint64_t now_ms) {
    auto it = peer.transfers.find(id);
    FLEEK_ASSERT(it != peer.transfers.end());
    Transfer& transfer = it->second;
    for (const uint32_t size : transfer.unacked) peer.unacked_bytes -= size;
    switch (end) {
        case End::completed: ++peer.stats.completed; break;
        case End::cancelled: ++peer.stats.cancelled; break;
        case End::stalled: ++peer.stats.stalled; break;
        case End::failed:
        case End::replaced: break;  // counted with the answer sent
    }
    peer.stats.transfer_ms += now_ms - std::min(now_ms, transfer.started_ms);
    m_directory_bytes -= transfer.encoding.size();
    peer.transfers.erase(it);
    --m_transfer_count;
}

void TransferServer::on_peer_disconnected(const NodePublicKey& key, uint64_t now_ms) {
    auto it = m_peers.find(key);
    if (it == m_peers.end()) return;
    Peer& peer = *it->second;
    while (!peer.transfers.empty()) finish(peer, peer.transfers.begin()->first, End::cancelled, now_ms);
    FLEEK_ASSERT(peer.unacked_bytes == 0);
}

void TransferServer::tick(uint64_t now_ms) {
    for (auto& [key, slot] : m_peers) {
        Peer& peer = *slot;
        std::vector<uint64_t> stalled;
        for (const auto& [id, transfer] : peer.transfers) {
            if (!transfer.unacked.empty() && now_ms - std::min(now_ms, transfer.last_credit_ms) >= m_options.requester_stall_ms) {
                stalled.push_back(id);
            }
        }
        for (const uint64_t id : stalled) finish(peer, id, End::stalled, now_ms);
        pump(key, peer, now_ms);
    }
}

}  // namespace fleek::edge
