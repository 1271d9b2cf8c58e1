// The ledger: the replicated state machine of Fleek Network (src/ledger/README.md).
//
//   auto ledger = Ledger::open(dir, genesis);        // applies genesis to a new directory
//   auto result = (*ledger)->execute(block);          // receipts and the state root
//   (*ledger)->account(address); ->current_committee(); ->prove(key); ...   (reader.h)
//   auto snapshot = (*ledger)->snapshot();            // this block's state, for other threads
//
// Deterministic: the result of execute() depends only on the state and the block. Time and
// randomness enter through the block (timestamp) and the committee's commit–reveal beacon.
// A block is committed atomically with its state root; a crash leaves the previous block.
//
// Not thread-safe: one thread executes blocks and queries (or callers serialize access). Other
// threads read a LedgerSnapshot that the executing thread took (snapshot()).
#pragma once

#include "crypto/keys.h"
#include "ledger/block.h"
#include "ledger/genesis.h"
#include "ledger/reader.h"
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

struct LedgerOptions {
    bool sync_writes = true;       // fsync each block's commit
    size_t checkpoints_kept = 2;   // newest checkpoint files kept in <dir>/checkpoints
    size_t tree_cache_entries = 1 << 19;  // state tree nodes kept in memory (~150 bytes each)
    // Test hooks: called after each transaction of a block, and before a block is committed.
    std::function<void(size_t transaction_index)> after_transaction;
    std::function<void()> before_commit;
};

// The queries (LedgerReader) read the committed state: the last block that execute() committed.
class Ledger final : public LedgerReader {
public:
    // Opens the ledger in `dir` (RocksDB in dir/db, checkpoints in dir/checkpoints). A new
    // directory gets the genesis state at height 0; an existing one must hold this genesis.
    static Result<std::unique_ptr<Ledger>, LedgerError> open(const std::filesystem::path& dir, const Genesis& genesis,
                                                             LedgerOptions options = {});
    // Creates a ledger in an empty `dir` from a checkpoint of this network.
    static Result<std::unique_ptr<Ledger>, LedgerError> restore(const std::filesystem::path& dir, const Genesis& genesis,
                                                                ByteSpan checkpoint, LedgerOptions options = {});
    ~Ledger() override;
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

    // The committed state as it is now, readable from any thread while later blocks execute
    // (reader.h). Take it on the thread that executes, between blocks.
    std::shared_ptr<const LedgerSnapshot> snapshot() const;

    const std::filesystem::path& directory() const { return m_dir; }

private:
    Ledger(std::filesystem::path dir, std::unique_ptr<Store> store, LedgerOptions options);
    Result<void, LedgerError> load_meta();
    Result<CheckpointInfo, BlockError> write_checkpoint(const StateView& view, const ChainInfo& chain,
                                                        const Hash32& root);

    std::filesystem::path m_dir;
    std::unique_ptr<Store> m_store;
    LedgerOptions m_options;
};

// Applies a genesis to an empty state (the changes land in `view`).
void apply_genesis(StateView& view, const Genesis& genesis);

}  // namespace fleek::ledger
