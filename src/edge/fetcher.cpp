#include "edge/fetcher.h"

#include "util/assert.h"
#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace fleek::edge {

using crypto::NodePublicKey;

namespace {
constexpr uint64_t never = std::numeric_limits<uint64_t>::max();
}  // namespace

// One transfer of a range of the content from one provider.
struct Fetcher::Segment {
    explicit Segment(const NodePublicKey& provider) : peer(provider) {}
    uint64_t token = 0;
    FetchId id = 0;
    NodePublicKey peer;
    uint64_t first = 0;
    uint64_t end = 0;  // exclusive; 0: through the last block
    uint64_t next = 0;  // the next block it brings
    uint64_t started_ms = 0;
    uint64_t claimed_length = 0;  // the provider's file message
    bool got_block = false;
    bool length_mismatch = false;  // its provider claims another length than the verified blocks
    bool reached_held = false;     // it stopped where blocks were already held
};

// The state of one fetch.
struct Fetcher::Drive {
    std::shared_ptr<FetchJob> job;
    uint64_t started_ms = 0;
    uint64_t last_progress_ms = 0;  // start, last verified block, or last provider failure
    uint64_t deadline_ms = 0;
    std::optional<uint64_t> content_length;  // from the first verified block
    std::vector<Segment> segments;
    std::set<uint64_t> wants;
    std::map<NodePublicKey, uint64_t> excluded_until;  // providers not asked again before then
    size_t attempts = 0;
    size_t failures = 0;
    bool from_start = false;  // a wanted range lay past the end: learn the length from block 0
    bool tree = false;        // a directory: fetched whole with fetch_tree
    std::optional<FetchId> tree_id;
    uint64_t tree_token = 0;
    std::optional<NodePublicKey> tree_peer;
    bool only_not_found = true;  // every provider asked so far answered not found
    std::string last_failure;

    Segment* segment(uint64_t token) {
        for (auto& segment : segments) {
            if (segment.token == token) return &segment;
        }
        return nullptr;
    }
};

class Fetcher::Sink final : public FetchSink {
public:
    Sink(Fetcher& fetcher, const content::Hash32& hash, uint64_t token) : m_fetcher(fetcher), m_hash(hash), m_token(token) {}
    void on_file(uint64_t content_length, uint64_t, uint64_t) override { m_fetcher.on_file(m_hash, m_token, content_length); }
    bool on_shared_block(uint64_t index, ByteSpan bytes, const std::shared_ptr<const void>& owner) override {
        return m_fetcher.on_block(m_hash, m_token, index, bytes, owner);
    }
    void on_done(const Result<Fetched, FetchError>& outcome) override { m_fetcher.on_done(m_hash, m_token, outcome); }

private:
    Fetcher& m_fetcher;
    content::Hash32 m_hash;
    uint64_t m_token;
};

Fetcher::Fetcher(content::Blockstore& store, TransferClient& client, ProviderLookup providers, FetcherOptions options,
                 PeerScoreOptions score_options, std::function<uint64_t()> random)
    : m_store(store),
      m_client(client),
      m_providers(std::move(providers)),
      m_options(options),
      m_scores(score_options),
      m_random(std::move(random)) {}

Fetcher::~Fetcher() = default;

Fetcher::Drive* Fetcher::find(const content::Hash32& hash) {
    auto it = m_drives.find(hash);
    return it == m_drives.end() ? nullptr : it->second.get();
}

void Fetcher::start(std::shared_ptr<FetchJob> job, uint64_t now_ms) {
    m_now_ms = now_ms;
    const content::Hash32 hash = job->hash();
    FLEEK_ASSERT(m_drives.count(hash) == 0);  // the caller keeps one job per hash
    auto drive = std::make_unique<Drive>();
    drive->job = std::move(job);
    drive->started_ms = now_ms;
    drive->last_progress_ms = now_ms;
    drive->deadline_ms = now_ms + m_options.deadline_ms;
    Drive& added = *drive;
    m_drives.emplace(hash, std::move(drive));
    ++m_counters.started;
    if (m_store.info(hash)) return finish(added, false);  // stored between the miss and now
    plan(added);
}

void Fetcher::on_message(const NodePublicKey& from, ByteSpan payload, uint64_t now_ms, std::shared_ptr<const void> owner) {
    m_now_ms = now_ms;
    m_client.on_message(from, payload, now_ms, std::move(owner));
}

void Fetcher::on_peer_disconnected(const NodePublicKey& peer, uint64_t now_ms) {
    m_now_ms = now_ms;
    m_client.on_peer_disconnected(peer, now_ms);
}

void Fetcher::plan_all(uint64_t now_ms) {
    m_now_ms = now_ms;
    std::vector<content::Hash32> hashes;
    for (const auto& [hash, drive] : m_drives) hashes.push_back(hash);
    for (const auto& hash : hashes) {
        if (Drive* drive = find(hash)) plan(*drive);
    }
}

void Fetcher::tick(uint64_t now_ms) {
    m_now_ms = now_ms;
    m_client.tick(now_ms);
    std::vector<content::Hash32> hashes;
    for (const auto& [hash, drive] : m_drives) hashes.push_back(hash);
    for (const auto& hash : hashes) {
        Drive* drive = find(hash);
        if (drive == nullptr) continue;
        if (now_ms >= drive->deadline_ms) {
            fail(*drive, MissError::timed_out, fmt::format("no complete copy within {} ms", m_options.deadline_ms));
            continue;
        }
        if (!drive->tree && m_store.info(hash)) {
            finish(*drive, false);  // stored meanwhile (an upload, an IPFS fetch)
            continue;
        }
        plan(*drive);
        drive = find(hash);
        if (drive == nullptr || !drive->segments.empty() || drive->tree_id) continue;
        if (now_ms >= drive->last_progress_ms + m_options.provider_wait_ms) {
            if (drive->only_not_found && !drive->content_length) {
                fail(*drive, MissError::not_found,
                     drive->attempts == 0 ? "no peer announced this content" : "every provider asked answered that it does not hold it");
            } else {
                fail(*drive, MissError::failed, fmt::format("no provider could continue ({})", drive->last_failure));
            }
        }
    }
}

void Fetcher::stop(uint64_t now_ms) {
    m_now_ms = now_ms;
    while (!m_drives.empty()) fail(*m_drives.begin()->second, MissError::failed, "the node is stopping");
}

// ------------------------------------------------------------------------------------ planning

std::vector<NodePublicKey> Fetcher::candidates(Drive& drive) {
    std::vector<NodePublicKey> known = m_providers(drive.job->hash());
    std::erase_if(known, [&](const NodePublicKey& peer) {
        auto excluded = drive.excluded_until.find(peer);
        return excluded != drive.excluded_until.end() && m_now_ms < excluded->second;
    });
    const auto ranked = m_scores.rank(
        known, [&](const NodePublicKey& peer) { return m_client.stats(peer); },
        [&](const NodePublicKey& peer) { return m_client.transfers_with(peer); }, m_now_ms, m_random);
    std::vector<NodePublicKey> out;
    for (const auto& rank : ranked) {
        if (m_client.can_start(rank.peer)) out.push_back(rank.peer);
    }
    return out;
}

// Where a transfer from `from` should stop: the first block held after it, or where a running
// transfer will bring blocks.
uint64_t Fetcher::boundary(const Drive& drive, const content::PartialWriter* partial, uint64_t from, uint64_t blocks) const {
    uint64_t end = blocks;
    for (const auto& segment : drive.segments) {
        if (from < segment.first) end = std::min(end, segment.first);
    }
    if (partial != nullptr) {
        for (uint64_t k = from + 1; k < end; ++k) {
            if (partial->has_block(k)) return k;
        }
    }
    return end;
}

void Fetcher::plan(Drive& drive) {
    if (drive.job->ended()) return;
    if (drive.tree) {
        if (!drive.tree_id) start_tree(drive);
    } else {
        for (const uint64_t want : drive.job->take_wants()) drive.wants.insert(want);
        const content::Hash32& hash = drive.job->hash();
        std::shared_ptr<content::PartialWriter> partial = m_client.partial(hash);
        if (partial && drive.content_length && partial->content_length() != *drive.content_length) partial.reset();
        if (partial) drive.job->set_partial(partial);
        if (!drive.content_length) {
            if (drive.segments.empty()) {
                const uint64_t first = drive.from_start || drive.wants.empty() ? 0 : *drive.wants.begin();
                start_segment(drive, first, 0);
            }
        } else {
            const uint64_t blocks = content::block_count(*drive.content_length);
            if (partial && partial->complete()) {
                // Every block is held (brought by several transfers): install the object.
                if (auto committed = partial->commit(); !committed) {
                    return fail(drive, MissError::failed, fmt::format("storing it failed: {}", content::to_string(committed.error())));
                }
                return finish(drive);
            }
            const auto held = [&](uint64_t k) { return partial && partial->has_block(k); };
            std::erase_if(drive.wants, [&](uint64_t want) { return want >= blocks || held(want); });
            for (const uint64_t want : std::vector<uint64_t>(drive.wants.begin(), drive.wants.end())) {
                const bool soon = std::any_of(drive.segments.begin(), drive.segments.end(), [&](const Segment& segment) {
                    const uint64_t end = segment.end == 0 ? blocks : segment.end;
                    return segment.next <= want && want < end && want < segment.next + m_options.lookahead_blocks;
                });
                if (soon) continue;
                const uint64_t first = partial ? partial->first_missing(want) : want;
                if (first >= blocks) continue;
                if (!start_segment(drive, first, boundary(drive, partial.get(), first, blocks))) break;
            }
            if (drive.segments.empty()) {
                const uint64_t first = partial ? partial->first_missing(0) : 0;
                if (first < blocks) start_segment(drive, first, boundary(drive, partial.get(), first, blocks));
            }
        }
    }
    if (drive.segments.empty() && !drive.tree_id && drive.attempts >= m_options.attempts_max) {
        fail(drive, MissError::failed, fmt::format("gave up after {} transfers (last: {})", drive.attempts, drive.last_failure));
    }
}

bool Fetcher::start_segment(Drive& drive, uint64_t first, uint64_t end) {
    if (drive.segments.size() >= m_options.transfers_per_fetch_max || drive.attempts >= m_options.attempts_max) return false;
    const content::Hash32 hash = drive.job->hash();
    for (const NodePublicKey& peer : candidates(drive)) {
        const uint64_t token = m_next_token++;
        FetchRequest request;
        request.hash = hash;
        request.first_block = first;
        request.end_block = end;
        if (drive.content_length) request.expect = content::ObjectKind::file;
        request.deadline_ms = drive.deadline_ms;
        auto started = m_client.fetch(peer, request, std::make_shared<Sink>(*this, hash, token), m_now_ms);
        if (!started) {
            // send_failed: the peer's queue is full or it left; ask another one now.
            drive.excluded_until[peer] = m_now_ms + m_options.busy_retry_ms;
            continue;
        }
        Segment segment(peer);
        segment.token = token;
        segment.id = *started;
        segment.first = first;
        segment.end = end;
        segment.next = first;
        segment.started_ms = m_now_ms;
        drive.segments.push_back(segment);
        ++drive.attempts;
        ++m_counters.transfers;
        if (drive.failures > 0) ++m_counters.resumed;
        return true;
    }
    return false;  // no provider now: the provider wait runs (tick)
}

void Fetcher::start_tree(Drive& drive) {
    if (drive.attempts >= m_options.attempts_max) return;
    const auto peers = candidates(drive);
    if (peers.empty()) return;
    const content::Hash32 hash = drive.job->hash();
    const uint64_t token = m_next_token++;
    drive.tree_token = token;
    drive.tree_peer = peers.front();
    ++drive.attempts;
    ++m_counters.transfers;
    if (drive.failures > 0) ++m_counters.resumed;
    drive.tree_id = m_client.fetch_tree(
        peers.front(), hash, [this, hash, token](const Result<TreeFetched, TreeFetchError>& outcome) { on_tree_done(hash, token, outcome); },
        m_now_ms);
}

// ------------------------------------------------------------------------------------ callbacks

void Fetcher::on_file(const content::Hash32& hash, uint64_t token, uint64_t content_length) {
    Drive* drive = find(hash);
    Segment* segment = drive != nullptr ? drive->segment(token) : nullptr;
    if (segment != nullptr) segment->claimed_length = content_length;
}

bool Fetcher::on_block(const content::Hash32& hash, uint64_t token, uint64_t index, ByteSpan bytes, const std::shared_ptr<const void>& owner) {
    Drive* drive = find(hash);
    Segment* segment = drive != nullptr ? drive->segment(token) : nullptr;
    if (segment == nullptr) return false;  // the fetch ended: stop this transfer
    if (!segment->got_block) {
        segment->got_block = true;
        // A length counts once a block verified under it; a provider claiming another one is
        // wrong or lying (which of the two shows at the last block): it is not used.
        if (!drive->content_length) {
            drive->content_length = segment->claimed_length;
            drive->job->set_content_length(segment->claimed_length);
        } else if (*drive->content_length != segment->claimed_length) {
            segment->length_mismatch = true;
            return false;
        }
        m_scores.on_first_block(segment->peer, m_now_ms - std::min(m_now_ms, segment->started_ms));
        if (auto partial = m_client.partial(hash); partial && partial->content_length() == *drive->content_length) {
            drive->job->set_partial(std::move(partial));
        }
    }
    drive->job->add_block(index, bytes, owner);
    segment->next = index + 1;
    drive->last_progress_ms = m_now_ms;
    // Stop where another transfer already brought the blocks.
    const uint64_t end = segment->end == 0 ? content::block_count(*drive->content_length) : segment->end;
    if (segment->next < end) {
        const auto partial = drive->job->partial();
        if (partial && partial->has_block(segment->next)) {
            segment->reached_held = true;
            return false;
        }
    }
    return true;
}

void Fetcher::on_done(const content::Hash32& hash, uint64_t token, const Result<Fetched, FetchError>& outcome) {
    Drive* drive = find(hash);
    if (drive == nullptr) return;
    Segment* found = drive->segment(token);
    if (found == nullptr) return;
    const Segment segment = *found;
    std::erase_if(drive->segments, [&](const Segment& s) { return s.token == token; });

    if (outcome) {
        if (outcome->is_directory) {
            drive->tree = true;
            drive->job->set_directory();
            return plan(*drive);
        }
        if (outcome->stored) return finish(*drive);
        return plan(*drive);  // a range is in: the rest follows
    }
    const FetchError& error = outcome.error();
    if (segment.reached_held) return plan(*drive);
    if (segment.length_mismatch) {
        drive->excluded_until[segment.peer] = never;
        drive->only_not_found = false;
        drive->last_failure = fmt::format("{} claims a length of {} bytes, the verified blocks {}", segment.peer.to_string(),
                                          segment.claimed_length, *drive->content_length);
        ++drive->failures;
        return plan(*drive);
    }
    switch (error.failure) {
        case FetchFailure::cancelled: return plan(*drive);
        case FetchFailure::store_failed:
            return fail(*drive, MissError::failed, fmt::format("this node could not store it ({})", error.describe()));
        case FetchFailure::too_large:
            return fail(*drive, MissError::too_large, "over this node's object limit or its blockstore's capacity");
        case FetchFailure::refused:
            if (error.answer == content::TransferErrorCode::bad_range && !drive->content_length && segment.first > 0) {
                drive->from_start = true;  // the range asked for lies past the end: learn the length
                return plan(*drive);
            }
            break;
        default: break;
    }
    provider_failed(*drive, segment.peer, error);
    plan(*drive);
}

void Fetcher::on_tree_done(const content::Hash32& hash, uint64_t token, const Result<TreeFetched, TreeFetchError>& outcome) {
    Drive* drive = find(hash);
    if (drive == nullptr || drive->tree_token != token) return;
    drive->tree_id.reset();
    if (outcome) return finish(*drive);
    const FetchError& error = outcome.error().error;
    switch (error.failure) {
        case FetchFailure::cancelled: return plan(*drive);
        case FetchFailure::store_failed:
            return fail(*drive, MissError::failed, fmt::format("this node could not store {} ({})", hex_encode(outcome.error().object), error.describe()));
        case FetchFailure::too_large: return fail(*drive, MissError::too_large, "a directory of the tree is over this node's limits");
        default: break;
    }
    provider_failed(*drive, *drive->tree_peer, error);
    plan(*drive);
}

void Fetcher::provider_failed(Drive& drive, const NodePublicKey& peer, const FetchError& error) {
    m_scores.on_failure(peer, error.failure, m_now_ms);
    drive.excluded_until[peer] = error.failure == FetchFailure::busy ? m_now_ms + m_options.busy_retry_ms : never;
    if (error.failure != FetchFailure::not_found) drive.only_not_found = false;
    drive.last_failure = fmt::format("{}: {}", peer.to_string(), error.describe());
    drive.last_progress_ms = m_now_ms;
    ++drive.failures;
    FLEEK_LOG_INFO("edge", "fetch of {}: {}; asking the next provider", hex_encode(drive.job->hash()), drive.last_failure);
}

// ------------------------------------------------------------------------------------ endings

std::vector<FetchId> Fetcher::running(const Drive& drive) {
    std::vector<FetchId> ids;
    for (const auto& segment : drive.segments) ids.push_back(segment.id);
    if (drive.tree_id) ids.push_back(*drive.tree_id);
    return ids;
}

void Fetcher::finish(Drive& drive, bool from_peers) {
    if (from_peers) ++m_counters.from_peers;
    const auto job = drive.job;
    const std::vector<FetchId> still_running = running(drive);
    FLEEK_LOG_INFO("edge", "fetched {} from peers ({} transfers)", hex_encode(job->hash()), drive.attempts);
    end(job->hash(), true);
    job->set_stored();
    for (const FetchId id : still_running) m_client.cancel(id, m_now_ms);
}

void Fetcher::fail(Drive& drive, MissError error, std::string message) {
    const auto job = drive.job;
    const std::vector<FetchId> still_running = running(drive);
    if (error == MissError::not_found) {
        ++m_counters.not_found;
        FLEEK_LOG_DEBUG("edge", "fetch of {}: {}", hex_encode(job->hash()), message);
    } else {
        ++m_counters.failed;
        FLEEK_LOG_WARN("edge", "fetch of {} failed: {}: {}", hex_encode(job->hash()), to_string(error), message);
    }
    end(job->hash(), false);  // the drive is gone: callbacks of the cancelled transfers find nothing
    job->fail(error, std::move(message));
    for (const FetchId id : still_running) m_client.cancel(id, m_now_ms);
}

void Fetcher::end(const content::Hash32& hash, bool stored) {
    m_drives.erase(hash);
    if (m_on_end) m_on_end(hash, stored);
}

}  // namespace fleek::edge
