// A late joiner's side of the provider snapshot (docs/formats/provider-records.md §Snapshot).
//
// Sans-IO: request() says what to ask a peer next (on the transport's request channel);
// on_page() checks a peer's answer and applies its records to the table. Every record is
// verified by the table as if it came from gossip, so a peer can withhold records but cannot
// forge or alter one. A page is checked whole before any record is applied: it must answer the
// outstanding cursor, hold at most the records asked for, in strictly ascending key order after
// the cursor, and move the cursor forward. A refused page changes nothing; the node may ask
// another peer for the same cursor (the sync holds no peer), or start over.
// Not thread-safe.
#pragma once

#include "origins/provider_table.h"

namespace fleek::origins {

enum class SnapshotPageError : uint8_t {
    malformed,          // the page did not decode
    unexpected_cursor,  // it answers another cursor than the outstanding one (late or unsolicited)
    too_many_records,   // more records than asked for
    out_of_order,       // a record not strictly after the cursor and the record before it
    no_progress,        // a continuation cursor that does not move forward
    too_many_pages,     // pages_max pages were taken already
    complete,           // the snapshot was already complete
};
std::string_view to_string(SnapshotPageError error) noexcept;

struct ProviderSnapshotSyncOptions {
    uint32_t page_records = provider_page_records_max;
    // Bound on the pages of one snapshot (a peer cannot keep a node paging forever).
    size_t pages_max = 4096;
};

class ProviderSnapshotSync {
public:
    explicit ProviderSnapshotSync(ProviderSnapshotSyncOptions options = {});

    // The request for the next page (meaningful while !complete()).
    ProviderSnapshotRequest request() const;
    Bytes encoded_request() const { return codec::encode(request()); }
    Result<ProviderApplyCounts, SnapshotPageError> on_page(ByteSpan page_bytes, ProviderTable& table, uint64_t now_ms);
    Result<ProviderApplyCounts, SnapshotPageError> on_page(const ProviderSnapshotPage& page, ProviderTable& table, uint64_t now_ms);

    bool complete() const noexcept { return m_complete; }
    size_t pages() const noexcept { return m_pages; }

private:
    ProviderSnapshotSyncOptions m_options;
    std::optional<ProviderKey> m_after;
    size_t m_pages = 0;
    bool m_complete = false;
};

}  // namespace fleek::origins
