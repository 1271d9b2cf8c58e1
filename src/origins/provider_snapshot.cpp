#include "origins/provider_snapshot.h"

namespace fleek::origins {

std::string_view to_string(SnapshotPageError error) noexcept {
    switch (error) {
        case SnapshotPageError::malformed: return "malformed page";
        case SnapshotPageError::unexpected_cursor: return "page answers another cursor";
        case SnapshotPageError::too_many_records: return "more records than asked for";
        case SnapshotPageError::out_of_order: return "records out of order";
        case SnapshotPageError::no_progress: return "cursor does not move forward";
        case SnapshotPageError::too_many_pages: return "too many pages";
        case SnapshotPageError::complete: return "snapshot already complete";
    }
    return "unknown";
}

ProviderSnapshotSync::ProviderSnapshotSync(ProviderSnapshotSyncOptions options) : m_options(options) {
    FLEEK_ASSERT(m_options.page_records >= 1 && m_options.page_records <= provider_page_records_max);
}

ProviderSnapshotRequest ProviderSnapshotSync::request() const { return ProviderSnapshotRequest{m_after, m_options.page_records}; }

Result<ProviderApplyCounts, SnapshotPageError> ProviderSnapshotSync::on_page(ByteSpan page_bytes, ProviderTable& table, uint64_t now_ms) {
    auto page = codec::decode<ProviderSnapshotPage>(page_bytes);
    if (!page) return fail(SnapshotPageError::malformed);
    return on_page(*page, table, now_ms);
}

Result<ProviderApplyCounts, SnapshotPageError> ProviderSnapshotSync::on_page(const ProviderSnapshotPage& page, ProviderTable& table, uint64_t now_ms) {
    if (m_complete) return fail(SnapshotPageError::complete);
    if (m_pages >= m_options.pages_max) return fail(SnapshotPageError::too_many_pages);
    if (page.after != m_after) return fail(SnapshotPageError::unexpected_cursor);
    if (page.records.size() > m_options.page_records) return fail(SnapshotPageError::too_many_records);
    std::optional<ProviderKey> previous = m_after;
    for (const auto& record : page.records) {
        const ProviderKey key = record.key();
        if (previous && !(*previous < key)) return fail(SnapshotPageError::out_of_order);
        previous = key;
    }
    if (page.next) {
        // Forward from the cursor, and not before the last record given.
        if (m_after && !(*m_after < *page.next)) return fail(SnapshotPageError::no_progress);
        if (previous && *page.next < *previous) return fail(SnapshotPageError::no_progress);
    }
    ProviderApplyCounts counts;
    for (const auto& record : page.records) counts.add(table.apply(record, now_ms));
    ++m_pages;
    m_after = page.next;
    m_complete = !page.next.has_value();
    return counts;
}

}  // namespace fleek::origins
