// Provider records from the network (docs/formats/provider-records.md): gossip batches, single
// records, snapshot requests and pages. Decoding never crashes and is canonical (an accepted
// input re-encodes to the same bytes); whatever decodes is applied to a small table and a
// snapshot sync, whose bounds must hold.
#include "origins/provider_snapshot.h"
#include "util/assert.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::origins;
    const ByteSpan input(data, size);
    const auto same = [&](const Bytes& again) { return again.size() == size && std::equal(again.begin(), again.end(), data); };
    constexpr uint64_t now_ms = 1'700'000'000'000;
    const ProviderTableOptions options{.records_max = 8, .records_per_provider_max = 4};
    const NodeKeyCheck everyone = [](const crypto::NodePublicKey&) { return true; };

    if (auto record = codec::decode<ProviderRecord>(input)) {
        FLEEK_ASSERT(same(codec::encode(*record)));
        ProviderTable table(options, everyone);
        (void)table.apply(*record, now_ms);
        FLEEK_ASSERT(table.size() <= 1);
    }
    if (auto batch = decode_provider_batch(input)) {
        FLEEK_ASSERT(!batch->empty() && batch->size() <= provider_batch_records_max);
        FLEEK_ASSERT(same(encode_provider_batch(*batch)));
        ProviderTable table(options, everyone);
        const auto counts = table.apply_batch(batch->front().provider, input, now_ms);
        FLEEK_ASSERT(counts.accepted + counts.duplicate + counts.stale + counts.expired + counts.refused <= batch->size());
        FLEEK_ASSERT(table.size() <= options.records_max);
        for (const auto& record : *batch) FLEEK_ASSERT(table.size_of(record.provider) <= options.records_per_provider_max);
    }
    if (auto request = codec::decode<ProviderSnapshotRequest>(input)) {
        FLEEK_ASSERT(same(codec::encode(*request)));
        ProviderTable table(options, everyone);
        const auto page = table.snapshot_page(*request, now_ms);
        FLEEK_ASSERT(page.records.empty() && !page.next);
    }
    if (auto page = codec::decode<ProviderSnapshotPage>(input)) {
        FLEEK_ASSERT(same(codec::encode(*page)));
        ProviderTable table(options, everyone);
        ProviderSnapshotSync sync;
        const auto applied = sync.on_page(input, table, now_ms);
        FLEEK_ASSERT(table.size() <= options.records_max);
        if (!applied) FLEEK_ASSERT(table.size() == 0 && sync.pages() == 0);
    }
    return 0;
}
