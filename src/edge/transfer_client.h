// The requester side of the peer content transfer (docs/formats/content-transfer.md): fetches
// content from other nodes by hash, verifies every block before anyone sees it, streams the
// verified blocks to sinks and writes them into the blockstore.
//
// Sans-IO: it is handed the `content` channel's messages for the requester
// (content::transfer_direction), disconnections and the time (`now_ms`; no clock is read), and
// sends through an injected function. Not thread-safe: call it from one thread.
//
// - Verification: each block's proof and bytes go through content::BlockVerifier for the hash
//   asked for; the first failure ends the transfer with proof_rejected naming the block. A
//   verified block is handed to every sink, then written to a PartialWriter (the blockstore's
//   verified partial writer) in the same call; the object is committed only when every block is
//   held, so a failed or corrupt transfer leaves nothing visible as complete.
// - Resume: a failure carries the PartialWriter holding the blocks verified so far (also kept in a
//   weak map by hash, so any later fetch of the same content and length reuses it while someone
//   holds it): fetch the rest with another peer by asking for the range from
//   `FetchError::block` on.
// - Coalescing: a fetch of the same hash and range as one in flight (from any peer) joins it as
//   another waiter, so one transfer feeds many sinks; a waiter that joins late first gets the
//   blocks it missed, read back (and checked) from the partial writer.
// - Limits: transfers_max open transfers and transfers_per_peer_max per peer (fetch() fails
//   with at_capacity beyond; joining is free); a deadline per transfer and a stall timeout;
//   directory encodings being received stay under directory_bytes_max together.
// - Accounting: per peer, bytes, transfer time, successes and failures by kind, and the bad
//   messages it sent (undecodable, unrequested, out of order, over the window).
// - Trees: fetch_tree() fetches a directory's children (recursively) and stores the directory
//   after them.
//
// Sinks: on_file and on_block must not call into the client; on_done may (it runs after the
// client finished with that transfer), e.g. to resume with another peer.
#pragma once

#include "content/blockstore.h"
#include "content/directory.h"
#include "content/partial_writer.h"
#include "content/transfer.h"
#include "crypto/keys.h"
#include "edge/transfer_server.h"

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fleek::edge {

enum class FetchFailure : uint8_t {
    not_found,          // the provider does not hold it
    busy,               // the provider is over its limits
    refused,            // the provider answered bad_request, bad_range, too_large or unavailable
    peer_stalled,       // no message for stall_timeout_ms
    deadline_exceeded,
    bad_frame,          // a message that breaks the protocol (wrong header, order, window, kind)
    proof_rejected,     // a proof or block that does not verify (FetchError::block names it)
    directory_rejected, // a directory encoding that does not decode or hash to the request
    peer_disconnected,
    cancelled,
    store_failed,       // our blockstore could not write
    too_large,          // content over our blockstore's object limit or capacity
};
inline constexpr size_t fetch_failure_count = 12;
std::string_view to_string(FetchFailure failure) noexcept;

struct FetchError {
    FetchFailure failure = FetchFailure::cancelled;
    // proof_rejected: the block that failed. Otherwise the next block the transfer expected.
    uint64_t block = 0;
    std::optional<content::VerifyError> verify_error;
    std::optional<content::TransferErrorCode> answer;    // the provider's answer, when it sent one
    std::shared_ptr<content::PartialWriter> partial;     // blocks verified so far (files)
    std::string describe() const;
};

struct Fetched {
    bool is_directory = false;
    uint64_t content_length = 0;  // files: proven, the last block verified
    bool stored = false;          // files: every block is held and the object is in the blockstore
    std::shared_ptr<content::PartialWriter> partial;  // files not stored yet (range fetches)
    std::optional<content::Directory> directory;      // directories (not stored: see fetch_tree)
};

class FetchSink {
public:
    virtual ~FetchSink() = default;
    // A file's claimed length and the range, right before its first verified block. The length
    // is proven only when the last block verified.
    virtual void on_file(uint64_t /*content_length*/, uint64_t /*first_block*/, uint64_t /*end_block*/) {}
    // Verified blocks of the range, in order. Return false to stop (this waiter ends cancelled).
    virtual bool on_block(uint64_t /*index*/, ByteSpan /*bytes*/) { return true; }
    // What the client calls: the same, with `owner`, which keeps `bytes` alive for as long as the
    // sink holds it (so the sink may keep the block without copying it). By default: on_block.
    virtual bool on_shared_block(uint64_t index, ByteSpan bytes, const std::shared_ptr<const void>& /*owner*/) {
        return on_block(index, bytes);
    }
    virtual void on_done(const Result<Fetched, FetchError>& outcome) = 0;
};

struct FetchRequest {
    content::Hash32 hash{};
    uint64_t first_block = 0;
    uint64_t end_block = 0;                       // exclusive; 0 = through the last block
    std::optional<content::ObjectKind> expect;    // the other kind is a bad_frame
    std::optional<uint64_t> deadline_ms;          // absolute; default now + options.deadline_ms
};

struct TransferClientOptions {
    size_t transfers_max = 64;
    size_t transfers_per_peer_max = 8;
    uint16_t window_blocks = 16;           // credit granted to a transfer (4 MiB of blocks)
    uint64_t stall_timeout_ms = 5000;      // no message of a transfer for this long: peer_stalled
    uint64_t deadline_ms = 600000;         // default per-transfer deadline
    size_t catch_up_blocks_per_call = 8;   // missed blocks replayed to a late waiter per call
    size_t tree_objects_max = 1000000;     // objects one fetch_tree may fetch
    // Directory encodings being received, all transfers together (too_large beyond).
    uint64_t directory_bytes_max = uint64_t{64} << 20;
};

struct RequesterPeerStats {
    uint64_t started = 0;
    uint64_t succeeded = 0;
    uint64_t failed = 0;  // ended for the provider's part: every failure but cancelled and store_failed
    std::array<uint64_t, fetch_failure_count> failures{};  // every ended transfer that did not succeed, by FetchFailure
    uint64_t bytes_received = 0;  // payload bytes of messages of our transfers
    uint64_t blocks_verified = 0;
    uint64_t transfer_ms = 0;     // summed durations of finished transfers
    uint64_t bad_messages = 0;    // undecodable, for the provider side, unrequested, or breaking the protocol
    uint64_t late_messages = 0;   // for a transfer we ended shortly before (ignored)
};

struct TreeFetched {
    uint64_t files = 0;        // fetched (not counting those already held)
    uint64_t directories = 0;  // stored
};
struct TreeFetchError {
    content::Hash32 object{};  // the object whose fetch or storing failed
    FetchError error;
};
using TreeCallback = std::function<void(const Result<TreeFetched, TreeFetchError>&)>;

using FetchId = uint64_t;
enum class StartError : uint8_t { at_capacity, peer_at_capacity, send_failed, invalid_range };
std::string_view to_string(StartError error) noexcept;

class TransferClient {
public:
    TransferClient(content::Blockstore& store, TransferSend send, TransferClientOptions options = {});
    ~TransferClient();
    TransferClient(const TransferClient&) = delete;
    TransferClient& operator=(const TransferClient&) = delete;

    // Starts a fetch from `peer`, or joins one in flight for the same hash and range. The sink
    // gets exactly one on_done, never from inside this call.
    Result<FetchId, StartError> fetch(const crypto::NodePublicKey& peer, const FetchRequest& request,
                                      std::shared_ptr<FetchSink> sink, uint64_t now_ms);
    // Fetches `hash` and, when it is a directory, every child the store does not hold
    // (recursively), storing each directory after its children. Children start as the transfer
    // limits allow; `done` is called once, never from inside this call. The first failure ends
    // the tree (objects already stored stay: fetching the tree again skips them).
    FetchId fetch_tree(const crypto::NodePublicKey& peer, const content::Hash32& hash, TreeCallback done, uint64_t now_ms);
    // Ends a fetch or a tree fetch with `cancelled`; a transfer left without waiters is cancelled.
    void cancel(FetchId id, uint64_t now_ms);
    bool can_start(const crypto::NodePublicKey& peer) const;

    // `owner` (may be null) keeps `payload` alive: verified blocks are handed to sinks as views
    // into it (FetchSink::on_shared_block).
    void on_message(const crypto::NodePublicKey& from, ByteSpan payload, uint64_t now_ms, std::shared_ptr<const void> owner = nullptr);
    void on_peer_disconnected(const crypto::NodePublicKey& peer, uint64_t now_ms);
    // Deadlines, stall timeouts, late waiters' catch-up, waiting tree children. Every ~100 ms.
    void tick(uint64_t now_ms);

    size_t transfers() const noexcept { return m_transfers.size(); }
    size_t transfers_with(const crypto::NodePublicKey& peer) const;
    RequesterPeerStats stats(const crypto::NodePublicKey& peer) const;
    // The partial object of `hash` that transfers are filling (its blocks verified so far), while
    // someone holds it. Safe to call from a sink's callbacks (it changes nothing).
    std::shared_ptr<content::PartialWriter> partial(const content::Hash32& hash) const;

private:
    struct Waiter;
    struct Transfer;
    struct CatchUp;
    struct TreeJob;
    class TreeChildSink;
    struct Key {
        content::Hash32 hash;
        uint64_t first_block;
        uint64_t end_block;
        friend auto operator<=>(const Key&, const Key&) = default;
    };

    void handle(const crypto::NodePublicKey& from, Transfer& transfer, const content::TransferMessage& message, uint64_t now_ms,
                const std::shared_ptr<const void>& owner);
    void on_file(Transfer& transfer, const content::TransferFile& file);
    void on_block(Transfer& transfer, const content::TransferBlock& block, uint64_t now_ms, const std::shared_ptr<const void>& owner);
    void on_directory_part(Transfer& transfer, const content::TransferDirectoryPart& part, uint64_t now_ms);
    bool take_credit(Transfer& transfer);
    void return_credit(Transfer& transfer);
    void succeed(Transfer& transfer, uint64_t now_ms);
    void fail_transfer(Transfer& transfer, FetchError error, uint64_t now_ms, bool tell_provider);
    void remove_transfer(Transfer& transfer, uint64_t now_ms);
    void catch_up(uint64_t now_ms);
    struct FileRange {
        uint64_t content_length;
        uint64_t first_block;
        uint64_t end_block;
    };
    void deliver(Waiter& waiter, const FileRange& file, uint64_t index, ByteSpan bytes, const std::shared_ptr<const void>& owner);
    void complete_waiter(Waiter waiter, Result<Fetched, FetchError> outcome);
    void cancel_fetch(FetchId id, uint64_t now_ms);
    void run_completions();
    RequesterPeerStats& peer_stats(const crypto::NodePublicKey& peer);

    // Trees (transfer_tree.cpp).
    void pump_trees(uint64_t now_ms);
    void pump_tree(TreeJob& job, uint64_t now_ms);
    void on_tree_child(const TreeChildSink& child, const Result<Fetched, FetchError>& outcome);
    bool tree_object_done(TreeJob& job, std::optional<size_t> parent);
    bool store_tree_directory(TreeJob& job, size_t index);
    void finish_tree(FetchId tree_id, Result<TreeFetched, TreeFetchError> outcome);

    content::Blockstore& m_store;
    TransferSend m_send;
    TransferClientOptions m_options;
    uint64_t m_next_id = 1;  // request ids and fetch ids, never reused
    uint64_t m_now_ms = 0;   // the time of the current call (for callbacks made from it)

    std::map<uint64_t, std::unique_ptr<Transfer>> m_transfers;  // by request id
    std::map<Key, uint64_t> m_by_key;                            // transfers in flight, for joining
    std::map<FetchId, uint64_t> m_waiting;                       // waiter -> request id
    std::map<crypto::NodePublicKey, size_t> m_per_peer;
    uint64_t m_directory_bytes = 0;  // encoding lengths announced by open directory transfers
    std::map<content::Hash32, std::weak_ptr<content::PartialWriter>> m_partials;
    struct Ended {
        crypto::NodePublicKey peer;
        uint64_t until_ms;
    };
    std::map<uint64_t, Ended> m_recently_ended;  // request id -> its late messages are ignored
    std::deque<CatchUp> m_catching_up;           // waiters replaying blocks of a finished transfer
    std::vector<std::function<void()>> m_completions;  // on_done and tree callbacks, run at the end of each call
    bool m_running_completions = false;
    std::map<FetchId, std::unique_ptr<TreeJob>> m_trees;
    std::map<crypto::NodePublicKey, RequesterPeerStats> m_stats;
};

}  // namespace fleek::edge
