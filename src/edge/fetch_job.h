// One fetch on a miss, as its readers see it (docs/gateway.md, "Fetch on a miss"): the content's
// length once a provider announced it, which blocks are verified so far, the outcome, and a way
// to wait for progress without holding a thread.
//
// The Fetcher (content thread) writes it; readers (the gateway's I/O threads, IPFS adoption on
// the fetch pool) read it. Every block a reader gets was verified against the hash before the
// Fetcher saw it: recent blocks are kept in memory, older ones are read back from the partial
// object (checked against their verified leaf again) or, once committed, from the blockstore.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include "content/blockstore.h"
#include "content/partial_writer.h"

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fleek::edge {

enum class MissError : uint8_t {
    not_found,  // no provider held it (none known, or all answered not found) within the wait
    failed,     // providers failed and none could continue (the message says how)
    too_large,  // over this node's object limit or its blockstore's capacity
    timed_out,  // the fetch deadline passed
};
std::string_view to_string(MissError error) noexcept;

class FetchJob {
public:
    FetchJob(const content::Hash32& hash, content::Blockstore& store, size_t recent_blocks_max);
    ~FetchJob();
    FetchJob(const FetchJob&) = delete;
    FetchJob& operator=(const FetchJob&) = delete;

    struct State {
        std::optional<uint64_t> content_length;  // files: claimed by the provider, proven at the last block
        bool is_directory = false;               // a directory: its tree is fetched, then served from the store
        bool stored = false;                     // the object (with its children) is in the blockstore
        std::optional<MissError> error;
        std::string message;                     // what failed, for the client
        uint64_t generation = 0;                 // grows with every change
        uint64_t blocks_verified = 0;
    };

    const content::Hash32& hash() const noexcept { return m_hash; }
    State state() const;
    bool has_block(uint64_t index) const;
    // Verified block `index`; nullopt while it is not held yet. An error when a held block could
    // not be read back (the disk lost it: the fetch fails too).
    Result<std::optional<content::BlockBuffer>, content::BlockstoreError> block(uint64_t index);
    // Calls `wake` once, from any thread (possibly this one, at once), when the generation has
    // moved past `seen_generation`. Every wake is called by the time the job ends.
    void when_changed(uint64_t seen_generation, std::function<void()> wake);
    // A reader needs blocks from `index` on: the Fetcher fetches those first.
    void want(uint64_t index);

    // ---- the Fetcher's side (one thread) --------------------------------------------------
    std::set<uint64_t> take_wants();
    void set_content_length(uint64_t content_length);
    void set_partial(std::shared_ptr<content::PartialWriter> partial);
    std::shared_ptr<content::PartialWriter> partial() const;
    // A verified block, kept while it is recent: as a view when `owner` keeps `bytes` alive (the
    // frame it arrived in), else as a copy.
    void add_block(uint64_t index, ByteSpan bytes, std::shared_ptr<const void> owner = nullptr);
    void set_directory();
    void set_stored();
    void fail(MissError error, std::string message);
    bool ended() const;

private:
    void changed_locked(std::vector<std::function<void()>>& to_wake);

    const content::Hash32 m_hash;
    content::Blockstore& m_store;
    const size_t m_recent_blocks_max;
    mutable std::mutex m_mutex;
    State m_state;
    std::shared_ptr<content::PartialWriter> m_partial;
    std::deque<std::pair<uint64_t, content::BlockBuffer>> m_recent;  // newest last
    std::vector<std::function<void()>> m_waiters;
    std::set<uint64_t> m_wants;
};

}  // namespace fleek::edge
