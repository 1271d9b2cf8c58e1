// The provider side of the peer content transfer (docs/formats/content-transfer.md): answers
// other nodes' requests from the blockstore.
//
// Sans-IO: it is handed the messages of the transport's `content` channel that are for the
// provider (content::transfer_direction), the disconnections and the time, and sends through an
// injected function (in the node: Transport::send on Channel::content). It reads blocks and
// trees through the Blockstore, which checks every block it reads from disk, so it only ever
// sends verified bytes; the requester checks them again against the hash it asked for.
//
// Flow control: a transfer sends at most `window` block or directory-part messages that the
// requester has not credited back (the request's window, capped by window_blocks_max), and all
// transfers to one peer together keep at most peer_unacked_bytes_max of uncredited messages, so
// the transport's per-channel send queue (8 MiB) is not overrun. A message the queue still
// refuses is kept and offered again on the next call; nothing is dropped.
//
// Limits: transfers_max open transfers in total and transfers_per_peer_max per peer, and
// directory_bytes_max of directory encodings held for them (busy beyond); a transfer whose
// requester credits nothing for requester_stall_ms is dropped; optionally bytes_per_second for
// everything sent to peers (an operator's cap on the bandwidth given to the network).
//
// Not thread-safe: call it from one thread, one that may block on disk reads (not the
// transport's I/O thread).
#pragma once

#include "content/blockstore.h"
#include "content/proof.h"
#include "content/transfer.h"
#include "crypto/keys.h"
#include "net/transport.h"

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace fleek::edge {

// Sends one message to a peer on the `content` channel (in the node: Transport::send_frame). It
// takes (moves from) `message` only when it answers queued: a refused message stays with the
// caller, to be offered again without being built again.
using TransferSend = std::function<net::SendResult(const crypto::NodePublicKey& to, net::FramePayload& message)>;
// A message in one buffer, for TransferSend.
inline net::FramePayload transfer_payload(Bytes message) { return net::FramePayload{std::move(message), nullptr, {}}; }

struct TransferServerOptions {
    size_t transfers_max = 256;
    size_t transfers_per_peer_max = 8;
    uint16_t window_blocks_max = 16;
    // Keep below the transport's channel_queue_bytes_max, leaving room for the node's own
    // requests and credits on the same queue.
    uint64_t peer_unacked_bytes_max = uint64_t{6} << 20;
    uint64_t requester_stall_ms = 30000;
    // Directory encodings held in memory for open transfers, all peers together (busy beyond).
    uint64_t directory_bytes_max = uint64_t{64} << 20;
    // Block and directory-part bytes sent per second, all peers together (a token bucket holding
    // at most a tenth of a second, and at least one message); 0: no limit.
    uint64_t bytes_per_second = 0;
};

struct ProviderPeerStats {
    uint64_t requests = 0;
    uint64_t completed = 0;      // every message sent and credited back
    uint64_t cancelled = 0;      // by the requester
    uint64_t stalled = 0;        // dropped: no credit for requester_stall_ms
    uint64_t failed = 0;         // our copy could not be read (answered unavailable)
    uint64_t busy = 0;           // answers
    uint64_t not_found = 0;      // answers
    uint64_t bad_requests = 0;   // answers bad_request, bad_range or too_large
    uint64_t bad_messages = 0;   // undecodable, for the requester side, or credit beyond what was sent
    uint64_t stale_messages = 0; // credit or cancel for a transfer that is no longer open
    uint64_t bytes_sent = 0;     // payload bytes handed to the transport
    uint64_t blocks_sent = 0;
    uint64_t transfer_ms = 0;    // summed durations of finished transfers
};

class TransferServer {
public:
    TransferServer(content::Blockstore& store, TransferSend send, TransferServerOptions options = {});
    ~TransferServer();
    TransferServer(const TransferServer&) = delete;
    TransferServer& operator=(const TransferServer&) = delete;

    // A payload of the `content` channel for the provider side.
    void on_message(const crypto::NodePublicKey& from, ByteSpan payload, uint64_t now_ms);
    // Drops the peer's transfers (its requests died with the connection).
    void on_peer_disconnected(const crypto::NodePublicKey& peer, uint64_t now_ms);
    // Offers again messages the send queue refused; drops stalled transfers. Call every ~100 ms.
    void tick(uint64_t now_ms);

    size_t transfers() const noexcept { return m_transfer_count; }
    size_t transfers_with(const crypto::NodePublicKey& peer) const;
    uint64_t unacked_bytes(const crypto::NodePublicKey& peer) const;
    ProviderPeerStats stats(const crypto::NodePublicKey& peer) const;

private:
    struct Transfer;
    struct Peer;
    enum class End : uint8_t { completed, cancelled, stalled, failed, replaced };

    void on_request(const crypto::NodePublicKey& from, Peer& peer, uint64_t id, const content::TransferRequest& request,
                    uint64_t now_ms);
    void on_credit(Peer& peer, uint64_t id, uint32_t blocks, uint64_t now_ms);
    std::optional<content::TransferErrorCode> open(Transfer& transfer, const content::TransferRequest& request);
    void answer(const crypto::NodePublicKey& to, Peer& peer, uint64_t id, content::TransferErrorCode code);
    // Sends what windows, budget and queue allow, round-robin over the peer's transfers.
    void pump(const crypto::NodePublicKey& key, Peer& peer, uint64_t now_ms);
    enum class Step : uint8_t { sent, idle, blocked, gone };
    Step send_next(const crypto::NodePublicKey& key, Peer& peer, Transfer& transfer, uint64_t now_ms);
    Step offer(const crypto::NodePublicKey& key, Peer& peer, Transfer& transfer, uint64_t now_ms);
    void finish(Peer& peer, uint64_t id, End end, uint64_t now_ms);
    // The rate limit: whether `bytes` may be sent now (refilling the bucket first).
    bool within_rate(size_t bytes, uint64_t now_ms);

    content::Blockstore& m_store;
    TransferSend m_send;
    TransferServerOptions m_options;
    std::map<crypto::NodePublicKey, std::unique_ptr<Peer>> m_peers;
    size_t m_transfer_count = 0;
    uint64_t m_directory_bytes = 0;
    uint64_t m_rate_tokens = 0;  // bytes that may be sent now (bytes_per_second)
    std::optional<uint64_t> m_rate_refilled_ms;
};

}  // namespace fleek::edge
