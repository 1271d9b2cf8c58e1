// Crypto micro-benchmarks (Google Benchmark), followed by reference runs of independent tools on
// the same machine in the same run, and a side-by-side table with ratios:
//   BLAKE3, 1 thread, 64 MiB      vs  b3sum --num-threads 1 on a 64 MiB file (page cache)
//   Ed25519 verify/s              vs  openssl speed ed25519
//   BLS verify/s, fast aggregate verify of 100 signatures, secp256k1 recover/s: no independent
//   tool for these exists on Debian 12, so the table prints our figure alone.
// Run it from the release preset: ./scripts/bench (docs/benchmarks.md).
#include "crypto/bls.h"
#include "crypto/ethereum.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "util/encoding.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <unistd.h>

namespace {

using namespace fleek;
using namespace fleek::crypto;

constexpr size_t blake3_input_size = size_t{64} << 20;

const Bytes& blake3_input() {
    static const Bytes input = [] {
        Bytes bytes(blake3_input_size);
        for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i % 251);
        return bytes;
    }();
    return input;
}

void BM_Blake3_64MiB(benchmark::State& state) {
    const Bytes& input = blake3_input();
    for (auto _ : state) benchmark::DoNotOptimize(blake3(input));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}
BENCHMARK(BM_Blake3_64MiB)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_Sha256_64MiB(benchmark::State& state) {
    const Bytes& input = blake3_input();
    for (auto _ : state) benchmark::DoNotOptimize(sha256(input));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}
BENCHMARK(BM_Sha256_64MiB)->Unit(benchmark::kMillisecond);

void BM_Ed25519_Verify(benchmark::State& state) {
    const NodeSecretKey key = NodeSecretKey::from_seed(Bytes(32, 1)).value();
    const Bytes message(32, 7);
    const NodeSignature signature = key.sign(message);
    for (auto _ : state) {
        const bool ok = key.public_key().verify(message, signature);
        if (!ok) state.SkipWithError("verification failed");
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519_Verify);

void BM_Ed25519_Sign(benchmark::State& state) {
    const NodeSecretKey key = NodeSecretKey::from_seed(Bytes(32, 1)).value();
    const Bytes message(32, 7);
    for (auto _ : state) benchmark::DoNotOptimize(key.sign(message));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519_Sign);

void BM_Bls_Verify(benchmark::State& state) {
    const bls::SecretKey key = bls::SecretKey::from_seed(Bytes(32, 1)).value();
    const Bytes message(32, 7);
    const bls::Signature signature = key.sign(message);
    for (auto _ : state) {
        const bool ok = key.public_key().verify(message, signature);
        if (!ok) state.SkipWithError("verification failed");
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Bls_Verify)->Unit(benchmark::kMicrosecond);

void BM_Bls_Sign(benchmark::State& state) {
    const bls::SecretKey key = bls::SecretKey::from_seed(Bytes(32, 1)).value();
    const Bytes message(32, 7);
    for (auto _ : state) benchmark::DoNotOptimize(key.sign(message));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Bls_Sign)->Unit(benchmark::kMicrosecond);

struct Committee {
    std::vector<bls::PublicKey> keys;
    std::vector<bls::Signature> signatures;
    Bytes message = Bytes(32, 9);
};

const Committee& committee_of_100() {
    static const Committee committee = [] {
        Committee c;
        for (int i = 0; i < 100; ++i) {
            const auto key = bls::SecretKey::from_seed(Bytes(32, static_cast<uint8_t>(i))).value();
            c.keys.push_back(key.public_key());
            c.signatures.push_back(key.sign(c.message));
        }
        return c;
    }();
    return committee;
}

// A certificate check: 100 signers, one message, one aggregate signature (keys are already
// validated by their proofs of possession, as in a committee).
void BM_Bls_FastAggregateVerify100(benchmark::State& state) {
    const Committee& c = committee_of_100();
    const bls::Signature aggregate = bls::aggregate_signatures(c.signatures).value();
    for (auto _ : state) {
        const bool ok = bls::fast_aggregate_verify(c.keys, c.message, aggregate);
        if (!ok) state.SkipWithError("verification failed");
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Bls_FastAggregateVerify100)->Unit(benchmark::kMicrosecond);

void BM_Bls_AggregateSignatures100(benchmark::State& state) {
    const Committee& c = committee_of_100();
    for (auto _ : state) benchmark::DoNotOptimize(bls::aggregate_signatures(c.signatures));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Bls_AggregateSignatures100)->Unit(benchmark::kMicrosecond);

void BM_Bls_AggregateVerify100Distinct(benchmark::State& state) {
    std::vector<bls::PublicKey> keys;
    std::vector<Bytes> messages;
    std::vector<bls::Signature> signatures;
    for (int i = 0; i < 100; ++i) {
        const auto key = bls::SecretKey::from_seed(Bytes(32, static_cast<uint8_t>(i))).value();
        messages.push_back(Bytes(32, static_cast<uint8_t>(i)));
        keys.push_back(key.public_key());
        signatures.push_back(key.sign(messages.back()));
    }
    const std::vector<ByteSpan> views(messages.begin(), messages.end());
    const bls::Signature aggregate = bls::aggregate_signatures(signatures).value();
    for (auto _ : state) {
        const bool ok = bls::aggregate_verify(keys, views, aggregate);
        if (!ok) state.SkipWithError("verification failed");
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Bls_AggregateVerify100Distinct)->Unit(benchmark::kMillisecond);

void BM_Secp256k1_Recover(benchmark::State& state) {
    const AccountSecretKey key = AccountSecretKey::generate();
    const Hash32 digest = keccak256(as_bytes("transaction"));
    const AccountSignature signature = key.sign(digest);
    for (auto _ : state) {
        auto recovered = signature.recover(digest);
        if (!recovered) state.SkipWithError("recovery failed");
        benchmark::DoNotOptimize(recovered);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Secp256k1_Recover);

void BM_Secp256k1_Sign(benchmark::State& state) {
    const AccountSecretKey key = AccountSecretKey::generate();
    const Hash32 digest = keccak256(as_bytes("transaction"));
    for (auto _ : state) benchmark::DoNotOptimize(key.sign(digest));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Secp256k1_Sign);

// ------------------------------------------------------------------------------- reporting

// Keeps each benchmark's rate (bytes/s or items/s) for the comparison table.
class RecordingReporter : public benchmark::ConsoleReporter {
public:
    // Colours only on a terminal, so a saved log stays readable.
    RecordingReporter() : ConsoleReporter(::isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}
    std::map<std::string, double> rates;
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& run : runs) {
            if (run.error_occurred) continue;
            for (const char* counter : {"bytes_per_second", "items_per_second"}) {
                if (auto it = run.counters.find(counter); it != run.counters.end()) {
                    rates[run.benchmark_name()] = it->second.value;
                }
            }
        }
    }
};

std::optional<std::string> capture(const std::string& command) {
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return std::nullopt;
    std::string out;
    char buffer[4096];
    while (size_t got = std::fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, got);
    if (::pclose(pipe) != 0) return std::nullopt;
    return out;
}

double seconds_of_best_run(const std::string& command, int runs) {
    double best = 1e9;
    for (int i = 0; i < runs; ++i) {
        const auto start = std::chrono::steady_clock::now();
        if (!capture(command)) return -1;
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
        best = std::min(best, elapsed.count());
    }
    return best;
}

// b3sum on a 64 MiB file in the page cache, one thread; the cost of starting the process is
// measured on an empty file and subtracted.
std::optional<double> b3sum_bytes_per_second() {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / fmt::format("fleek-bench-{}", ::getpid());
    std::filesystem::create_directories(dir);
    const auto big = dir / "input.bin";
    const auto empty = dir / "empty.bin";
    {
        std::ofstream out(big, std::ios::binary);
        out.write(reinterpret_cast<const char*>(blake3_input().data()), static_cast<std::streamsize>(blake3_input().size()));
        std::ofstream touch(empty, std::ios::binary);
    }
    // The same bytes must give the same hash, or the comparison means nothing.
    const auto printed = capture("b3sum --no-names --num-threads 1 " + big.string());
    std::optional<double> rate;
    if (printed && printed->substr(0, 64) == hex_encode(blake3(blake3_input()))) {
        const double full = seconds_of_best_run("b3sum --no-names --num-threads 1 " + big.string(), 15);
        const double startup = seconds_of_best_run("b3sum --no-names --num-threads 1 " + empty.string(), 15);
        if (full > 0 && startup >= 0 && full > startup) rate = static_cast<double>(blake3_input_size) / (full - startup);
    } else {
        std::fprintf(stderr, "b3sum missing or disagreeing; no BLAKE3 reference\n");
    }
    std::filesystem::remove_all(dir);
    return rate;
}

// Verifications per second from `openssl speed ed25519` (its last column).
std::optional<double> openssl_ed25519_verify_per_second() {
    const auto out = capture("openssl speed -seconds 2 ed25519 2>/dev/null");
    if (!out) return std::nullopt;
    size_t line_start = out->rfind("Ed25519)");
    if (line_start == std::string::npos) return std::nullopt;
    const size_t line_end = out->find('\n', line_start);
    const std::string line = out->substr(line_start, line_end - line_start);
    const size_t last_space = line.find_last_of(' ');
    try {
        return std::stod(line.substr(last_space + 1));
    } catch (...) {
        return std::nullopt;
    }
}

std::string version_of(const std::string& command) {
    auto out = capture(command + " 2>/dev/null");
    if (!out) return "unavailable";
    return out->substr(0, out->find('\n'));
}

void print_row(const std::string& metric, const std::string& ours, const std::string& reference, const std::string& ratio) {
    std::printf("%-44s %-18s %-36s %s\n", metric.c_str(), ours.c_str(), reference.c_str(), ratio.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    RecordingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();

    const auto rate = [&](const std::string& name) -> std::optional<double> {
        for (const auto& [key, value] : reporter.rates) {
            if (key.rfind(name, 0) == 0) return value;
        }
        return std::nullopt;
    };
    constexpr double gib = 1024.0 * 1024.0 * 1024.0;

    std::printf("\n== Side by side (same machine, same run) ==\n");
    print_row("metric", "ours", "reference", "ours/reference");
    if (const auto ours = rate("BM_Blake3_64MiB")) {
        const auto reference = b3sum_bytes_per_second();
        print_row("BLAKE3 hash, 1 thread, 64 MiB", fmt::format("{:.2f} GiB/s", *ours / gib),
                  reference ? fmt::format("{:.2f} GiB/s ({})", *reference / gib, version_of("b3sum --version")) : "b3sum unavailable",
                  reference ? fmt::format("{:.2f}x", *ours / *reference) : "-");
    }
    if (const auto ours = rate("BM_Ed25519_Verify")) {
        const auto reference = openssl_ed25519_verify_per_second();
        print_row("Ed25519 verify (libsodium)", fmt::format("{:.0f}/s", *ours),
                  reference ? fmt::format("{:.0f}/s (openssl speed)", *reference) : "openssl unavailable",
                  reference ? fmt::format("{:.2f}x", *ours / *reference) : "-");
    }
    const std::pair<const char*, const char*> alone[] = {
        {"BM_Bls_Verify", "BLS12-381 min-sig verify (blst)"},
        {"BM_Bls_FastAggregateVerify100", "BLS fast aggregate verify, 100 signers"},
        {"BM_Bls_AggregateVerify100Distinct", "BLS aggregate verify, 100 distinct messages"},
        {"BM_Secp256k1_Recover", "secp256k1 public-key recovery"},
    };
    for (const auto& [name, label] : alone) {
        if (const auto ours = rate(name)) print_row(label, fmt::format("{:.0f}/s", *ours), "no independent tool on Debian 12", "-");
    }
    return 0;
}
