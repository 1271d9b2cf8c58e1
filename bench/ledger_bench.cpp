// Ledger benchmarks (Google Benchmark), one core, RocksDB on disk, each next to a reference run
// of the work it cannot avoid, in the same run:
//   transfers executed per second, signatures checked, blocks of 1,000, synced commits
//       vs  EIP-191 signature recovery alone (the floor: every transfer recovers one signature)
//   state-root update for a block of 1,000 transfers, on states of 10,000 and 100,000 entries
//       vs  rebuilding the tree of the same state from scratch (what a non-incremental root costs)
//   verification of a batch of 1,000 delivery receipts, and the whole transaction that carries it
//       vs  1,000 Ed25519 verifications alone
// Run from the release preset (docs/benchmarks.md, section Ledger):
//   cmake --preset release && cmake --build --preset release --target ledger_bench && build/release/bench/ledger_bench
#include "ledger/ledger.h"
#include "ledger/state_tree.h"
#include "ledger/store.h"
#include "tests/support/ledger_network.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <unistd.h>

namespace {

using namespace fleek;
using namespace fleek::ledger;

constexpr size_t transfers_per_block = 1000;
constexpr int transfer_blocks = 12;

std::filesystem::path scratch(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / fmt::format("fleek-ledger-bench-{}-{}", name, ::getpid());
    std::filesystem::remove_all(dir);
    return dir;
}

// ---- transfers ----------------------------------------------------------------------------------

struct TransferSetup {
    testing::TestNetwork net{testing::NetworkShape{4, 4, 1000, 0, 42, 59330}};
    std::vector<Block> blocks;

    TransferSetup() {
        std::mt19937_64 rng(7);
        uint64_t timestamp = net.genesis.epoch_start_ms;
        for (int b = 0; b < transfer_blocks + 1; ++b) {
            std::vector<Bytes> txs;
            for (size_t i = 0; i < transfers_per_block; ++i) {
                const size_t from = rng() % net.accounts.size();
                size_t to = rng() % net.accounts.size();
                if (to == from) to = (to + 1) % net.accounts.size();
                txs.push_back(net.account_tx(from, Transfer{Token::flk, net.accounts[to].address().bytes(), 1 + rng() % 1000}));
            }
            timestamp += 1000;
            blocks.push_back(testing::make_block(static_cast<uint64_t>(b + 1), timestamp, std::move(txs)));
        }
    }
};

const TransferSetup& transfer_setup() {
    static const TransferSetup setup;
    return setup;
}

void BM_Ledger_Transfers(benchmark::State& state) {
    const TransferSetup& setup = transfer_setup();
    const auto dir = scratch("transfers");
    LedgerOptions options;
    options.sync_writes = true;
    auto ledger = std::move(Ledger::open(dir, setup.net.genesis, options).value());
    if (!ledger->execute(setup.blocks[0])) state.SkipWithError("warm-up block failed");  // warms caches
    size_t next = 1;
    for (auto _ : state) {
        auto result = ledger->execute(setup.blocks[next++]);
        if (!result) {
            state.SkipWithError("block failed");
            break;
        }
        for (const auto& receipt : result->receipts) {
            if (receipt.status != ReceiptStatus::success) state.SkipWithError("a transfer did not succeed");
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * transfers_per_block));
    ledger.reset();
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Ledger_Transfers)->Iterations(transfer_blocks)->Unit(benchmark::kMillisecond);

void BM_Reference_PersonalSignRecover(benchmark::State& state) {
    const TransferSetup& setup = transfer_setup();
    std::vector<std::pair<Hash32, crypto::AccountSignature>> signed_digests;
    for (const Bytes& bytes : setup.blocks[1].transactions) {
        const SignedTransaction tx = codec::decode<SignedTransaction>(bytes).value();
        signed_digests.emplace_back(tx.transaction.digest(), crypto::AccountSignature::from_bytes(tx.signature).value());
    }
    for (auto _ : state) {
        for (const auto& [digest, signature] : signed_digests) {
            benchmark::DoNotOptimize(crypto::ethereum::recover_personal_sign(digest, signature));
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * signed_digests.size()));
}
BENCHMARK(BM_Reference_PersonalSignRecover)->Unit(benchmark::kMillisecond);

// ---- state root ---------------------------------------------------------------------------------

Bytes account_key(uint64_t i) {
    Bytes key{0x03};
    const crypto::Hash32 h = crypto::blake3(as_bytes(std::to_string(i)));
    key.insert(key.end(), h.begin(), h.begin() + 20);
    return key;
}
Bytes value_of(uint64_t i, uint64_t version) {
    AccountInfo info;
    info.flk = U256(i) * 1'000'000'000 + version;
    info.nonce = version;
    return codec::encode(info);
}

std::vector<TreeChange> full_state(size_t entries) {
    std::vector<TreeChange> changes;
    changes.reserve(entries);
    for (uint64_t i = 0; i < entries; ++i) {
        changes.push_back({state_key_path(account_key(i)), state_value_hash(value_of(i, 0))});
    }
    return changes;
}

// The keys a block of 1,000 transfers changes: 2,000 accounts, 1,000 executed digests, the
// chain record.
std::vector<TreeChange> block_changes(size_t entries, uint64_t version, std::mt19937_64& rng) {
    std::map<Bytes, Bytes, BytesLess> changed;
    while (changed.size() < 2 * transfers_per_block) {
        const uint64_t i = rng() % entries;
        changed[account_key(i)] = value_of(i, version);
    }
    for (size_t i = 0; i < transfers_per_block; ++i) {
        changed[tables::executed(0, crypto::blake3(as_bytes(fmt::format("{}-{}", version, i))))] = Bytes(8, 1);
    }
    changed[tables::chain()] = value_of(version, version);
    std::vector<TreeChange> out;
    for (const auto& [key, value] : changed) out.push_back({state_key_path(key), state_value_hash(value)});
    return out;
}

void BM_Ledger_StateRootUpdate(benchmark::State& state) {
    const auto entries = static_cast<size_t>(state.range(0));
    const auto dir = scratch(fmt::format("root-{}", entries));
    auto store = std::move(Store::open(dir, Store::Options{true, size_t{1} << 19}).value());
    {
        TreeWrites writes;
        (void)update_state_tree(*store, full_state(entries), writes).value();
        (void)store->commit({}, writes, {});
    }
    std::mt19937_64 rng(3);
    uint64_t version = 1;
    size_t nodes_hashed = 0;
    double compute_ms = 0;
    for (auto _ : state) {
        state.PauseTiming();
        std::vector<TreeChange> changes = block_changes(entries, version++, rng);
        state.ResumeTiming();
        const auto start = std::chrono::steady_clock::now();
        TreeWrites writes;
        TreeUpdateStats stats;
        auto root = update_state_tree(*store, std::move(changes), writes, &stats);
        compute_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (!root || !store->commit({}, writes, {})) state.SkipWithError("update failed");
        nodes_hashed += stats.nodes_hashed;
    }
    const auto per_block = [&](double total) { return total / static_cast<double>(state.iterations()); };
    state.counters["nodes_hashed"] = per_block(static_cast<double>(nodes_hashed));
    state.counters["root_ms"] = per_block(compute_ms);  // without writing the nodes
    store.reset();
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Ledger_StateRootUpdate)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(20);

void BM_Reference_StateTreeRebuild(benchmark::State& state) {
    const auto entries = static_cast<size_t>(state.range(0));
    const std::vector<TreeChange> all = full_state(entries);
    for (auto _ : state) {
        MemoryTree empty;
        TreeWrites writes;
        benchmark::DoNotOptimize(update_state_tree(empty, all, writes));
    }
}
BENCHMARK(BM_Reference_StateTreeRebuild)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(3);

// ---- delivery receipts ----------------------------------------------------------------------------

struct DeliverySetup {
    testing::TestNetwork net{testing::NetworkShape{4, 4, 50, 1, 43, 59330}};
    std::vector<SignedDeliveryReceipt> batch;  // 1,000 receipts from 50 clients for node 0
    std::vector<Block> blocks;                 // one SubmitDeliveryAcknowledgments of 1,000 each

    DeliverySetup() {
        for (int b = 0; b < 11; ++b) {
            std::vector<SignedDeliveryReceipt> receipts;
            for (size_t i = 0; i < 1000; ++i) {
                auto receipt = net.receipt(i % 50, 0, 0, 0, 0, 0, 1'000'000 + i);
                // A new session per receipt and block, so every receipt counts.
                receipt.receipt.session_id[0] = static_cast<uint8_t>(b);
                receipt.receipt.session_id[1] = static_cast<uint8_t>(i >> 8);
                receipt.receipt.session_id[2] = static_cast<uint8_t>(i);
                receipts.push_back(sign_delivery_receipt(receipt.receipt, net.client_keys[i % 50][0]));
            }
            if (b == 0) batch = receipts;
            blocks.push_back(testing::make_block(static_cast<uint64_t>(b + 1), net.genesis.epoch_start_ms + 1000 * (b + 1),
                                                 {net.node_tx(0, SubmitDeliveryAcknowledgments{receipts})}));
        }
    }
};

const DeliverySetup& delivery_setup() {
    static const DeliverySetup setup;
    return setup;
}

void BM_DeliveryReceipts_Verify1000(benchmark::State& state) {
    const DeliverySetup& setup = delivery_setup();
    for (auto _ : state) {
        if (verify_delivery_receipts(setup.batch)) state.SkipWithError("a receipt did not verify");
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * setup.batch.size()));
}
BENCHMARK(BM_DeliveryReceipts_Verify1000)->Unit(benchmark::kMillisecond);

void BM_Ledger_DeliveryBatch1000(benchmark::State& state) {
    const DeliverySetup& setup = delivery_setup();
    const auto dir = scratch("delivery");
    auto ledger = std::move(Ledger::open(dir, setup.net.genesis).value());
    if (!ledger->execute(setup.blocks[0])) state.SkipWithError("warm-up failed");
    size_t next = 1;
    for (auto _ : state) {
        auto result = ledger->execute(setup.blocks[next++]);
        if (!result || result->receipts[0].status != ReceiptStatus::success) state.SkipWithError("batch did not succeed");
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 1000));
    ledger.reset();
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Ledger_DeliveryBatch1000)->Iterations(10)->Unit(benchmark::kMillisecond);

void BM_Reference_Ed25519Verify1000(benchmark::State& state) {
    const auto key = crypto::ClientSecretKey::from_seed(Bytes(32, 1)).value();
    std::vector<std::pair<Hash32, crypto::ClientSignature>> signed_messages;
    for (int i = 0; i < 1000; ++i) {
        Hash32 message = crypto::blake3(as_bytes(std::to_string(i)));
        signed_messages.emplace_back(message, key.sign(message));
    }
    for (auto _ : state) {
        for (const auto& [message, signature] : signed_messages) {
            if (!key.public_key().verify(message, signature)) state.SkipWithError("verify failed");
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 1000));
}
BENCHMARK(BM_Reference_Ed25519Verify1000)->Unit(benchmark::kMillisecond);

// ---- reporting --------------------------------------------------------------------------------------

class RecordingReporter : public benchmark::ConsoleReporter {
public:
    RecordingReporter() : ConsoleReporter(::isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}
    struct Figures {
        double items_per_second = 0;
        double milliseconds = 0;  // real time per iteration
    };
    std::map<std::string, Figures> figures;
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& run : runs) {
            if (run.error_occurred) continue;
            Figures f;
            if (auto it = run.counters.find("items_per_second"); it != run.counters.end()) f.items_per_second = it->second.value;
            f.milliseconds = run.GetAdjustedRealTime() * (run.time_unit == benchmark::kMillisecond ? 1.0 : 1e-6);
            figures[run.benchmark_name()] = f;
        }
    }
};

void print_row(const std::string& metric, const std::string& ours, const std::string& reference, const std::string& ratio) {
    std::printf("%-52s %-22s %-40s %s\n", metric.c_str(), ours.c_str(), reference.c_str(), ratio.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    RecordingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    const auto find = [&](const std::string& name) -> std::optional<RecordingReporter::Figures> {
        for (const auto& [key, value] : reporter.figures) {
            if (key.rfind(name, 0) == 0) return value;
        }
        return std::nullopt;
    };
    std::printf("\n== Side by side (same machine, same run) ==\n");
    print_row("metric", "ours", "reference", "ours/reference");
    if (auto ours = find("BM_Ledger_Transfers"), ref = find("BM_Reference_PersonalSignRecover"); ours && ref) {
        print_row("transfers/s, signatures checked, synced RocksDB", fmt::format("{:.0f}/s", ours->items_per_second),
                  fmt::format("{:.0f}/s EIP-191 recoveries alone", ref->items_per_second),
                  fmt::format("{:.2f}x", ours->items_per_second / ref->items_per_second));
    }
    for (const char* size : {"10000", "100000"}) {
        auto ours = find(fmt::format("BM_Ledger_StateRootUpdate/{}", size));
        auto ref = find(fmt::format("BM_Reference_StateTreeRebuild/{}", size));
        if (ours && ref) {
            print_row(fmt::format("state root, block of 1,000 transfers, {} entries", size), fmt::format("{:.1f} ms", ours->milliseconds),
                      fmt::format("{:.1f} ms full rebuild", ref->milliseconds),
                      fmt::format("{:.3f}x time", ours->milliseconds / ref->milliseconds));
        }
    }
    const auto reference = find("BM_Reference_Ed25519Verify1000");
    if (auto ours = find("BM_DeliveryReceipts_Verify1000"); ours && reference) {
        print_row("verify 1,000 delivery receipts", fmt::format("{:.1f} ms", ours->milliseconds),
                  fmt::format("{:.1f} ms 1,000 Ed25519 verifications", reference->milliseconds),
                  fmt::format("{:.2f}x time", ours->milliseconds / reference->milliseconds));
    }
    if (auto ours = find("BM_Ledger_DeliveryBatch1000"); ours && reference) {
        print_row("execute a transaction of 1,000 receipts", fmt::format("{:.1f} ms", ours->milliseconds),
                  fmt::format("{:.1f} ms 1,000 Ed25519 verifications", reference->milliseconds),
                  fmt::format("{:.2f}x time", ours->milliseconds / reference->milliseconds));
    }
    return 0;
}
