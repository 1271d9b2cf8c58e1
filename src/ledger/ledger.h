// The ledger: the replicated state machine of Fleek Network (src/ledger/README.md).
//
//   auto ledger = Ledger::open(dir, genesis);        // applies genesis to a new directory
//   auto result = (*ledger)->execute(block);          // receipts and the state root
//   (*ledger)->account(address); ->current_committee(); ->prove(key); ...
//
// Deterministic: the result of execute() depends only on the state and the block. Time and
// randomness enter through the block (timestamp) and the committee's commit–reveal beacon.
// A block is committed atomically with its state root; a crash leaves the previous block.
//
// Not thread-safe: one thread executes blocks and queries (or callers serialize access).
#pragma once

#include "crypto/keys.h"
#include "ledger/block.h"
#include "ledger/genesis.h"
#include "ledger/state_tree.h"
#include "ledger/tables.h"
#include "ledger/transaction.h"
#include "ledger/types.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fleek::ledger {

class Store;
class StateView;

enum class LedgerErrorCode : uint8_t {
    io,                  // the database or a file could not be opened, read or written
    corrupt,             // stored data does not decode or does not match its root
    genesis_mismatch,    // the directory holds another network's state
    invalid_genesis,     // a genesis that breaks validate_genesis (applied to a new directory only)
    invalid_checkpoint,  // a checkpoint that does not decode, or whose root does not match
    not_empty,           // restoring into a directory that already holds a ledger
};

struct LedgerError {
    LedgerErrorCode code = LedgerErrorCode::io;
    std::string message;
};

struct LedgerOptions {
    bool sync_writes = true;       // fsync each block's commit
    size_t checkpoints_kept = 2;   // newest checkpoint files kept in <dir>/checkpoints
    size_t tree_cache_entries = 1 << 19;  // state tree nodes kept in memory (~150 bytes each)
    // Test hooks: called after each transaction of a block, and before a block is committed.
    std::function<void(size_t transaction_index)> after_transaction;
    std::function<void()> before_commit;
};

struct CommitteeMember {
    NodeIndex index = 0;
    crypto::NodePublicKey node_key;
    crypto::ConsensusPublicKey consensus_key;
    std::string domain;
    NodePorts ports;
};

struct EpochInfo {
    Epoch epoch = 0;
    uint64_t epoch_era = 0;
    uint64_t start_ms = 0;
    uint64_t end_ms = 0;
    uint64_t transition_ms = 0;  // from here on the committee may signal ChangeEpoch
    BeaconPhase phase;
};

// A state key's value (if any) and the proof of it against `root`.
struct StateProofResponse {
    Hash32 root{};
    uint64_t height = 0;
    std::optional<Bytes> value;
    StateProof proof;
};

class Ledger {
public:
    // Opens the ledger in `dir` (RocksDB in dir/db, checkpoints in dir/checkpoints). A new
    // directory gets the genesis state at height 0; an existing one must hold this genesis.
    static Result<std::unique_ptr<Ledger>, LedgerError> open(const std::filesystem::path& dir, const Genesis& genesis,
                                                             LedgerOptions options = {});
    // Creates a ledger in an empty `dir` from a checkpoint of this network.
    static Result<std::unique_ptr<Ledger>, LedgerError> restore(const std::filesystem::path& dir, const Genesis& genesis,
                                                                ByteSpan checkpoint, LedgerOptions options = {});
    ~Ledger();
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    // Executes a block. On error nothing changes.
    Result<BlockResult, BlockError> execute(const Block& block);
    // The same; `before_commit` gets the complete result after every transaction executed and
    // before the state is committed, so a caller can durably record receipts first: after a crash
    // either both are there, or the block re-executes and gives the same result again. When it
    // returns false, the block is not committed (BlockError::storage).
    Result<BlockResult, BlockError> execute(const Block& block,
                                            const std::function<bool(const BlockResult&)>& before_commit);

    // ---- queries (committed state) ----
    uint64_t height() const { return m_height; }
    Hash32 state_root() const { return m_root; }
    ChainInfo chain_info() const;
    ProtocolParams params() const;
    Epoch epoch() const { return chain_info().epoch; }
    EpochInfo epoch_info() const;

    std::optional<AccountInfo> account(const crypto::AccountAddress& address) const;
    U256 balance(const crypto::AccountAddress& address, Token token) const;
    std::optional<crypto::AccountAddress> client_key_owner(const crypto::ClientPublicKey& key) const;

    std::optional<NodeInfo> node(NodeIndex index) const;
    std::optional<NodeIndex> node_index(const crypto::NodePublicKey& key) const;
    std::optional<NodeIndex> node_index(const crypto::ConsensusPublicKey& key) const;
    std::vector<std::pair<NodeIndex, NodeInfo>> nodes() const;

    std::optional<CommitteeInfo> committee(Epoch epoch) const;
    // The members of `epoch`'s committee with their keys and ports, by index.
    std::vector<CommitteeMember> committee_members(Epoch epoch) const;
    std::vector<CommitteeMember> current_committee() const { return committee_members(epoch()); }

    std::optional<ReputationScore> reputation(NodeIndex index) const;
    std::optional<NodeServed> served(Epoch epoch, NodeIndex index) const;
    std::optional<EpochTotals> epoch_totals(Epoch epoch) const;
    std::optional<Service> service(ServiceId id) const;
    std::vector<NodeIndex> content_providers(const Hash32& content) const;
    std::optional<WithdrawRecord> withdraw(uint64_t id) const;
    bool digest_executed(const Hash32& digest) const;

    // The raw value of a state key (tables.h) and a proof of it, or of its absence.
    Result<StateProofResponse, LedgerError> prove(ByteSpan key) const;
    std::optional<Bytes> state_value(ByteSpan key) const;

    // Visits every state entry in key order (what a checkpoint holds).
    void for_each_entry(const std::function<void(ByteSpan key, ByteSpan value)>& visit) const;
    // The current state as a checkpoint.
    Bytes checkpoint() const;

    const std::filesystem::path& directory() const { return m_dir; }

private:
    Ledger(std::filesystem::path dir, std::unique_ptr<Store> store, LedgerOptions options);
    Result<void, LedgerError> load_meta();
    template <class T>
    std::optional<T> read(const Bytes& key) const;
    Result<CheckpointInfo, BlockError> write_checkpoint(const StateView& view, const ChainInfo& chain,
                                                        const Hash32& root);

    std::filesystem::path m_dir;
    std::unique_ptr<Store> m_store;
    LedgerOptions m_options;
    uint64_t m_height = 0;
    Hash32 m_root{};
};

// Applies a genesis to an empty state (the changes land in `view`).
void apply_genesis(StateView& view, const Genesis& genesis);

}  // namespace fleek::ledger
