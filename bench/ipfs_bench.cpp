// IPFS micro benchmarks (in memory, one thread), each next to its same-run ceiling:
//   CAR read + verify (every block hashed against its CID)   vs  SHA-256 of the same bytes
//   UnixFS import, kubo and ipfs-car presets (chunk + encode + hash)  vs  SHA-256 of the bytes
//   DAG-PB decode of a 174-link file node
// The macro benchmarks (node ingest over HTTP, /ipfs/<cid> serving, ipfs-car pack) are in
// bench/ipfs_bench.sh.
#include "crypto/hash.h"
#include "ipld/car.h"
#include "ipld/dag_pb.h"
#include "ipld/importer.h"

#include <benchmark/benchmark.h>

#include <cstring>

#include <random>

namespace {

using namespace fleek;
using namespace fleek::ipld;

constexpr size_t content_size = size_t{64} << 20;

const Bytes& content() {
    static const Bytes bytes = [] {
        Bytes out(content_size);
        std::mt19937_64 rng(1);
        for (size_t i = 0; i + 8 <= out.size(); i += 8) {
            const uint64_t value = rng();
            std::memcpy(out.data() + i, &value, 8);
        }
        return out;
    }();
    return bytes;
}

// A CAR of the content with ipfs-car's defaults (1 MiB raw leaves).
const Bytes& car() {
    static const Bytes bytes = [] {
        Bytes out;
        std::vector<std::pair<Cid, Bytes>> blocks;
        const auto root = import_bytes(content(), ImportOptions::ipfs_car(), [&](const Cid& cid, ByteSpan block) -> Result<void, std::string> {
                              blocks.emplace_back(cid, Bytes(block.begin(), block.end()));
                              return {};
                          }).value();
        append_car_header(out, {root.cid});
        for (const auto& [cid, block] : blocks) append_car_section(out, cid, block);
        return out;
    }();
    return bytes;
}

void BM_Sha256Reference(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(crypto::sha256(content()));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * content_size));
}
BENCHMARK(BM_Sha256Reference)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_CarReadAndVerify(benchmark::State& state) {
    const Bytes& bytes = car();
    for (auto _ : state) {
        uint64_t blocks = 0;
        CarStreamReader reader({}, nullptr, [&](const CarStreamReader::Block&) { return ++blocks > 0; });
        // 1 MiB pieces, as a network stream arrives.
        for (size_t at = 0; at < bytes.size(); at += 1 << 20) {
            if (!reader.feed(ByteSpan(bytes).subspan(at, std::min<size_t>(1 << 20, bytes.size() - at)))) state.SkipWithError("read failed");
        }
        if (!reader.finish()) state.SkipWithError("finish failed");
        benchmark::DoNotOptimize(blocks);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_CarReadAndVerify)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_ImportKubo(benchmark::State& state) {
    for (auto _ : state) {
        auto root = import_bytes(content(), ImportOptions::kubo(), [](const Cid&, ByteSpan) -> Result<void, std::string> { return {}; });
        benchmark::DoNotOptimize(root);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * content_size));
}
BENCHMARK(BM_ImportKubo)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_ImportIpfsCar(benchmark::State& state) {
    for (auto _ : state) {
        auto root = import_bytes(content(), ImportOptions::ipfs_car(), [](const Cid&, ByteSpan) -> Result<void, std::string> { return {}; });
        benchmark::DoNotOptimize(root);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * content_size));
}
BENCHMARK(BM_ImportIpfsCar)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_DagPbDecode174Links(benchmark::State& state) {
    PbNode node;
    UnixfsData data;
    data.type = UnixfsType::file;
    for (int i = 0; i < 174; ++i) {
        node.links.push_back(PbLink{Cid::of(multicodec::raw, as_bytes(std::to_string(i))), std::string(), 262144});
        data.blocksizes.push_back(262144);
    }
    data.filesize = uint64_t{174} * 262144;
    node.data = encode_unixfs(data);
    const Bytes bytes = encode_dag_pb(node);
    for (auto _ : state) benchmark::DoNotOptimize(decode_dag_pb(bytes));
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_DagPbDecode174Links);

}  // namespace

BENCHMARK_MAIN();
