// Drives a libFuzzer target without libFuzzer, so every fuzz target also runs as a regression
// test under the debug preset (ASan + UBSan) with g++:
//   1. every file of the target's corpus directory, in name order;
//   2. `--iterations` inputs made by mutating corpus entries with a seeded PRNG (bit flips, byte
//      writes, inserts, deletes, truncation, duplication, splicing), reproducible from `--seed`.
// Extra arguments are files to run once (a crash reproducer). A failing property aborts, which
// fails the test. Real coverage-guided fuzzing uses the `fuzz` preset (clang + libFuzzer).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Input = std::vector<uint8_t>;

Input read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Input(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Rng {
    uint64_t state;
    uint64_t next() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
    size_t below(size_t bound) { return bound == 0 ? 0 : static_cast<size_t>(next() % bound); }
};

void run(const Input& input) {
    // A copy in its own allocation, so ASan catches reads past the end.
    std::vector<uint8_t> exact(input.begin(), input.end());
    LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
}

Input mutate(const std::vector<Input>& corpus, Rng& rng) {
    Input data = corpus.empty() ? Input{} : corpus[rng.below(corpus.size())];
    // Inputs may grow a little, and stay as large as their seed (streams are blocks of 256 KiB).
    const size_t size_max = std::max<size_t>(8192, data.size() + 64);
    const size_t rounds = 1 + rng.below(4);
    for (size_t round = 0; round < rounds; ++round) {
        switch (rng.below(8)) {
            case 0:
                if (!data.empty()) data[rng.below(data.size())] ^= static_cast<uint8_t>(1u << rng.below(8));
                break;
            case 1:
                if (!data.empty()) data[rng.below(data.size())] = static_cast<uint8_t>(rng.next());
                break;
            case 2: data.insert(data.begin() + static_cast<std::ptrdiff_t>(rng.below(data.size() + 1)), static_cast<uint8_t>(rng.next())); break;
            case 3:
                if (!data.empty()) data.erase(data.begin() + static_cast<std::ptrdiff_t>(rng.below(data.size())));
                break;
            case 4: data.resize(rng.below(data.size() + 1)); break;
            case 5:
                if (!data.empty() && data.size() < size_max) {
                    const size_t from = rng.below(data.size());
                    const size_t length = 1 + rng.below(std::min<size_t>(64, data.size() - from));
                    const Input chunk(data.begin() + static_cast<std::ptrdiff_t>(from),
                                      data.begin() + static_cast<std::ptrdiff_t>(from + length));
                    data.insert(data.begin() + static_cast<std::ptrdiff_t>(rng.below(data.size() + 1)), chunk.begin(), chunk.end());
                }
                break;
            case 6:
                if (!corpus.empty()) {
                    const Input& other = corpus[rng.below(corpus.size())];
                    data.resize(rng.below(data.size() + 1));
                    data.insert(data.end(), other.begin() + static_cast<std::ptrdiff_t>(rng.below(other.size() + 1)), other.end());
                }
                break;
            case 7: {
                // Interesting values: 0, 0xff, 0x7f, 0x80 runs (lengths, tags, varints).
                static const uint8_t values[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0x20};
                if (!data.empty()) data[rng.below(data.size())] = values[rng.below(sizeof(values))];
                break;
            }
        }
    }
    if (data.size() > size_max) data.resize(size_max);
    return data;
}

}  // namespace

int main(int argc, char** argv) {
    std::filesystem::path corpus_dir;
    uint64_t iterations = 0;
    uint64_t seed = 1;
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--corpus" && i + 1 < argc) {
            corpus_dir = argv[++i];
        } else if (arg == "--iterations" && i + 1 < argc) {
            iterations = std::strtoull(argv[++i], nullptr, 10);
        } else if (arg == "--seed" && i + 1 < argc) {
            seed = std::strtoull(argv[++i], nullptr, 10);
        } else {
            files.emplace_back(arg);
        }
    }
    std::vector<Input> corpus;
    if (!corpus_dir.empty()) {
        if (!std::filesystem::is_directory(corpus_dir)) {
            std::fprintf(stderr, "corpus directory %s does not exist\n", corpus_dir.c_str());
            return 1;
        }
        std::vector<std::filesystem::path> paths;
        for (const auto& entry : std::filesystem::directory_iterator(corpus_dir)) {
            if (entry.is_regular_file()) paths.push_back(entry.path());
        }
        std::sort(paths.begin(), paths.end());
        for (const auto& path : paths) corpus.push_back(read_file(path));
    }
    for (const auto& path : files) corpus.push_back(read_file(path));
    for (const auto& input : corpus) run(input);
    run(Input{});
    Rng rng{seed * 0x9e3779b97f4a7c15ULL + 1};
    for (uint64_t i = 0; i < iterations; ++i) run(mutate(corpus, rng));
    std::printf("fuzz replay: %zu corpus inputs and %llu mutated inputs ran without failure (seed %llu)\n",
                corpus.size(), static_cast<unsigned long long>(iterations), static_cast<unsigned long long>(seed));
    return 0;
}
