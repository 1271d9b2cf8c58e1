// The node's receipt path (issue 13 benchmark: "receipts verified and aggregated per second per
// core"), one thread, next to a reference in the same run:
//   reference   libsodium's crypto_sign_verify_detached of the receipt's signature over its
//               precomputed digest: the bare Ed25519 verification the receipt scheme needs.
//   verify      ledger::verify_delivery_receipt: parse the client key (a point validity check), encode
//               the receipt, its BLAKE3 derive-key digest, the Ed25519 verification (what a
//               handshake session checks per receipt; the key parse is also timed alone).
//   record      edge::DeliveryAggregator::record: checks and verifies the receipt again, keeps the
//               newest of its session in RocksDB with a synced write (fsync) before returning.
//   node path   verify + record, what the node does per receipt frame (handshake_session.cpp
//               check_receipt, then the receipt sink = the aggregator).
// The aggregator has no unsynced mode (a receipt counts only once it is on disk), so every record
// figure includes one fsync; its RocksDB lives under $TMPDIR (default /tmp), on disk.
// Run it from the release preset: ./scripts/bench delivery (docs/benchmarks.md, "Paid delivery").
#include "edge/delivery_aggregator.h"
#include "ledger/delivery.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sodium.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <unistd.h>

namespace {

using namespace fleek;

constexpr uint64_t chain_id = 59330;
constexpr ledger::Epoch epoch = 5;
// Receipts signed before timing; each record() benchmark stores every one of them at most once.
constexpr size_t receipts_signed = 20'000;
constexpr size_t sessions = 64;

const crypto::NodeSecretKey& node_key() {
    static const auto key = crypto::NodeSecretKey::from_seed(Bytes(32, 0x4e)).value();
    return key;
}

// Receipt i is session (i mod 64)'s with amount i + 1: always newer than that session's last one,
// so record() stores (and syncs) each of them.
const std::vector<ledger::SignedDeliveryReceipt>& receipts() {
    static const auto signed_receipts = [] {
        const auto client = crypto::ClientSecretKey::from_seed(Bytes(32, 0xc1)).value();
        std::vector<ledger::SignedDeliveryReceipt> out;
        out.reserve(receipts_signed);
        for (size_t i = 0; i < receipts_signed; ++i) {
            ledger::DeliveryReceipt r;
            r.chain_id = chain_id;
            r.node = node_key().public_key().bytes();
            r.service = 0;
            r.session_id.fill(static_cast<uint8_t>(i % sessions));
            r.epoch = epoch;
            r.amount = i + 1;
            out.push_back(ledger::sign_delivery_receipt(r, client));
        }
        return out;
    }();
    return signed_receipts;
}

class NoClaims final : public edge::ClaimReader {
public:
    ledger::Epoch epoch() const override { return ::epoch; }
    std::optional<ledger::NodeIndex> node_index() const override { return 0; }
    std::optional<ledger::SessionClaim> session_claim(ledger::Epoch, const ledger::ClientKeyBytes&, const ledger::SessionId&) const override {
        return std::nullopt;
    }
};

// A fresh aggregator in its own directory for each benchmark run, removed afterwards.
class ScratchAggregator {
public:
    ScratchAggregator()
        : m_dir(std::filesystem::temp_directory_path() / fmt::format("fleek-delivery-bench-{}-{}", ::getpid(), m_count++)) {
        std::filesystem::remove_all(m_dir);
        auto opened = edge::DeliveryAggregator::open(m_dir, {chain_id, node_key().public_key().bytes()}, m_claims,
                                                     [](const std::vector<ledger::SignedDeliveryReceipt>&) { return true; });
        if (opened) m_aggregator = std::move(*opened);
    }
    ~ScratchAggregator() {
        m_aggregator.reset();
        std::filesystem::remove_all(m_dir);
    }
    edge::DeliveryAggregator* get() { return m_aggregator.get(); }

private:
    static inline int m_count = 0;
    NoClaims m_claims;
    std::filesystem::path m_dir;
    std::unique_ptr<edge::DeliveryAggregator> m_aggregator;
};

void BM_Reference_SodiumVerify(benchmark::State& state) {
    const auto& all = receipts();
    std::vector<crypto::Hash32> digests;
    for (size_t i = 0; i < 1024; ++i) digests.push_back(all[i].receipt.digest());
    size_t i = 0;
    for (auto _ : state) {
        const auto& r = all[i % digests.size()];
        const int bad = crypto_sign_verify_detached(r.signature.data(), digests[i % digests.size()].data(), 32, r.client_key.data());
        if (bad != 0) state.SkipWithError("a receipt signature did not verify");
        ++i;
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Reference_SodiumVerify)->Unit(benchmark::kMicrosecond);

// Part of verify_delivery_receipt: parsing the client key checks it is a valid point of the
// prime-order subgroup (crypto_core_ed25519_is_valid_point), about the cost of a verification.
void BM_ClientKeyFromBytes(benchmark::State& state) {
    const auto& all = receipts();
    for (auto _ : state) {
        if (!crypto::ClientPublicKey::from_bytes(all[0].client_key)) state.SkipWithError("the client key did not parse");
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ClientKeyFromBytes)->Unit(benchmark::kMicrosecond);

void BM_VerifyDeliveryReceipt(benchmark::State& state) {
    const auto& all = receipts();
    size_t i = 0;
    for (auto _ : state) {
        if (!ledger::verify_delivery_receipt(all[i++ % 1024])) state.SkipWithError("a receipt did not verify");
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_VerifyDeliveryReceipt)->Unit(benchmark::kMicrosecond);

// `verify_first`: the session's verify_delivery_receipt before record(), as in the node.
void record_receipts(benchmark::State& state, bool verify_first) {
    const auto& all = receipts();
    ScratchAggregator scratch;
    if (!scratch.get()) {
        state.SkipWithError("cannot open the aggregator");
        return;
    }
    size_t i = 0;
    for (auto _ : state) {
        if (i == all.size()) {
            state.SkipWithError("more iterations than receipts signed: raise receipts_signed");
            break;
        }
        const auto& r = all[i++];
        if (verify_first && !ledger::verify_delivery_receipt(r)) state.SkipWithError("a receipt did not verify");
        auto recorded = scratch.get()->record(r);
        if (!recorded || *recorded != edge::RecordOutcome::stored) state.SkipWithError("a receipt was not stored");
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_AggregatorRecord_Synced(benchmark::State& state) { record_receipts(state, false); }
BENCHMARK(BM_AggregatorRecord_Synced)->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime();

void BM_NodeReceiptPath_VerifyAndRecord(benchmark::State& state) { record_receipts(state, true); }
BENCHMARK(BM_NodeReceiptPath_VerifyAndRecord)->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime();

class RecordingReporter : public benchmark::ConsoleReporter {
public:
    RecordingReporter() : ConsoleReporter(::isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}
    std::map<std::string, double> rates;
    std::map<std::string, double> cpu_per_item_s;
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& run : runs) {
            if (run.error_occurred) continue;
            if (auto it = run.counters.find("items_per_second"); it != run.counters.end()) rates[run.benchmark_name()] = it->second.value;
            if (run.iterations > 0) cpu_per_item_s[run.benchmark_name()] = run.cpu_accumulated_time / static_cast<double>(run.iterations);
        }
    }
};

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    if (sodium_init() < 0) return 1;
    receipts();  // signed before any timing
    RecordingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();

    const auto find = [](const std::map<std::string, double>& values, const std::string& name) -> std::optional<double> {
        for (const auto& [key, value] : values) {
            if (key.rfind(name, 0) == 0) return value;
        }
        return std::nullopt;
    };
    const auto reference = find(reporter.rates, "BM_Reference_SodiumVerify");
    std::printf("\n== Receipts per second, one thread (same run; reference: libsodium Ed25519 verify of the receipt's digest) ==\n");
    std::printf("%-52s %14s %14s %16s\n", "path", "receipts/s", "CPU us/receipt", "reference/path");
    for (const auto& [name, label] : std::vector<std::pair<std::string, std::string>>{
             {"BM_Reference_SodiumVerify", "reference: crypto_sign_verify_detached"},
             {"BM_ClientKeyFromBytes", "of which: client key parse (valid point check)"},
             {"BM_VerifyDeliveryReceipt", "verify_delivery_receipt (key parse + digest + verify)"},
             {"BM_AggregatorRecord_Synced", "DeliveryAggregator::record (verify + fsync)"},
             {"BM_NodeReceiptPath_VerifyAndRecord", "node path: verify + record (fsync)"}}) {
        const auto rate = find(reporter.rates, name);
        const auto cpu = find(reporter.cpu_per_item_s, name);
        if (!rate) continue;
        std::printf("%-52s %14.0f %14.1f %16s\n", label.c_str(), *rate, cpu ? *cpu * 1e6 : 0.0,
                    reference ? fmt::format("{:.2f}x", *reference / *rate).c_str() : "-");
    }
    std::printf("(receipts/s is wall-clock: a synced record waits for the disk; CPU us/receipt is this thread's CPU)\n");
    return 0;
}
