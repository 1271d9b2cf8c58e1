// The node's chain: executes blocks into the ledger, stores them with their receipts and
// certificates, and collects the committee's block signatures into certificates
// (docs/formats/chain.md, src/node/README.md §Chain).
//
// Two ways in, one ledger:
//   - a committee member executes the committed output of its consensus instance
//     (execute_output), signs the result (sign_block) and collects the others' signatures
//     (add_signature) until 2f+1 aggregate into the block's certificate;
//   - any node executes a certified block at its next height (execute_certified), after
//     checking the certificate against the committee of the block's epoch; the state root it
//     computes must equal the certified one, or nothing is committed.
//
// Durability: a block, its receipts and its transaction index are written to the chain store
// (fsynced) from the ledger's before-commit hook, so after a crash the store holds every block
// the ledger committed and possibly one more, which open() executes again (same result).
//
// Deterministic and single-threaded: no clock, no network. Not thread-safe.
#pragma once

#include "consensus/node.h"
#include "ledger/ledger.h"
#include "node/chain_block.h"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace fleek::node {

enum class ChainError : uint8_t {
    storage,            // the chain store or the ledger could not write; the node must stop
    not_next,           // a block that is not at height() + 1
    wrong_parent,       // its parent is not our head
    wrong_epoch,        // its epoch is not the ledger's current epoch
    bad_certificate,    // the certificate does not verify against the epoch's committee, or names another block
    state_mismatch,     // executing the block gave another state root than the certificate
    invalid_block,      // the ledger refused the block (timestamp, size, ...)
    unknown_block,      // a certificate or signature for a block we do not have
};
std::string_view to_string(ChainError error) noexcept;

struct ChainOptions {
    ledger::LedgerOptions ledger;
    bool sync_writes = true;
    // Signatures for heights above ours are kept for this many heights ahead (then dropped).
    uint64_t signature_heights_ahead = 64;
    // Test hook: called before a block's record is written to the chain store (the ledger has
    // executed the block and not committed it yet). Returning false makes the write fail as a
    // storage failure would (ChainError::storage). Blocking in it holds the block's execution.
    std::function<bool(uint64_t height)> before_record_write;
};

struct ExecutedBlock {
    ChainBlock block;
    Hash32 digest{};  // block.digest()
    ledger::BlockResult result;
};

struct TransactionLocation {
    uint64_t height = 0;
    uint32_t index = 0;
    ledger::TransactionReceipt receipt;
};

class Chain {
public:
    // Opens (or creates) the ledger in `ledger_dir` and the chain store in `chain_dir`, and
    // executes a stored block the ledger did not commit before a crash.
    static Result<std::unique_ptr<Chain>, std::string> open(const std::filesystem::path& ledger_dir,
                                                            const std::filesystem::path& chain_dir,
                                                            const ledger::Genesis& genesis, ChainOptions options = {});
    // The same with ledger_dir = dir/ledger and chain_dir = dir/chain.
    static Result<std::unique_ptr<Chain>, std::string> open(const std::filesystem::path& dir, const ledger::Genesis& genesis,
                                                            ChainOptions options = {}) {
        return open(dir / "ledger", dir / "chain", genesis, std::move(options));
    }
    ~Chain();
    Chain(const Chain&) = delete;
    Chain& operator=(const Chain&) = delete;

    const ledger::Ledger& ledger() const { return *m_ledger; }
    uint64_t height() const { return m_ledger->height(); }
    Hash32 head_digest() const { return m_head_digest; }

    // Where the consensus instance of `epoch` resumes: the first output index not executed yet
    // (an output partly executed before a crash is emitted again; its executed parts are skipped).
    uint64_t next_output_index(ledger::Epoch epoch) const;

    // A committee member's path: executes the committed output of the consensus instance of
    // `epoch` as one or more blocks. Nothing happens for an empty output, an output already
    // executed, or an instance of another epoch than the ledger's (after an epoch change the old
    // instance's remaining output is not executed).
    Result<std::vector<ExecutedBlock>, ChainError> execute_output(ledger::Epoch epoch,
                                                                  const consensus::CommittedOutput& output);

    // Any node's path: a certified block at height() + 1.
    Result<ExecutedBlock, ChainError> execute_certified(const CertifiedBlock& certified);

    // A committee member's signature on one of the chain's blocks (or on one we have not executed
    // yet: kept until we do, within signature_heights_ahead). Returns the block's certificate when
    // this signature completes it; the certificate is then stored.
    Result<std::optional<ledger::BlockCertificate>, ChainError> add_signature(const BlockSignature& signature);
    // A certificate for a block we executed (from gossip or sync): verified, then stored.
    Result<void, ChainError> add_certificate(const ledger::BlockCertificate& certificate);

    // ---- queries ----
    // block(), state_root_at(), certificate(), certified_block(), receipts() and transaction()
    // read only the chain store (RocksDB) and may run on any thread while blocks execute.
    std::optional<ChainBlock> block(uint64_t height) const;
    std::optional<Hash32> state_root_at(uint64_t height) const;
    std::optional<ledger::BlockCertificate> certificate(uint64_t height) const;
    std::optional<CertifiedBlock> certified_block(uint64_t height) const;
    std::optional<std::vector<ledger::TransactionReceipt>> receipts(uint64_t height) const;
    std::optional<TransactionLocation> transaction(const Hash32& digest) const;
    // The highest height whose certificate we hold (0 when none).
    uint64_t certified_height() const { return m_certified_height; }

    struct Impl;

private:
    Chain(std::unique_ptr<Impl> impl, std::unique_ptr<ledger::Ledger> ledger, ChainOptions options);
    Result<void, std::string> recover();
    Result<ExecutedBlock, ChainError> execute(const ChainBlock& block, const std::optional<Hash32>& expected_root);
    Result<std::optional<ledger::BlockCertificate>, ChainError> collect(const BlockSignature& signature);

    std::unique_ptr<Impl> m_impl;
    std::unique_ptr<ledger::Ledger> m_ledger;
    ChainOptions m_options;
    Hash32 m_head_digest{};
    uint64_t m_certified_height = 0;
    // Signature collection of our blocks without a certificate yet, by height.
    std::map<uint64_t, ledger::BlockCertificateBuilder> m_builders;
    // Signatures for heights we have not executed yet, by height (bounded by signature_heights_ahead).
    std::map<uint64_t, std::vector<BlockSignature>> m_early_signatures;
};

}  // namespace fleek::node
