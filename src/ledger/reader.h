// The queries of a committed ledger state, written once for the two places they run on
// (src/ledger/README.md):
//
//   Ledger          the state it commits, read on the thread that executes blocks
//   LedgerSnapshot  the state of one committed block, for readers on any thread (Ledger::snapshot)
//
//   auto snapshot = ledger.snapshot();          // on the executing thread, after a block
//   snapshot->balance(address, Token::flk);     // from any thread, as of snapshot->height()
//   snapshot->prove(key);                       // verifies against snapshot->state_root()
#pragma once

#include "crypto/keys.h"
#include "ledger/state_tree.h"
#include "ledger/tables.h"
#include "ledger/types.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fleek::ledger {

class StateReader;
class StoreSnapshot;

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

// Reads one committed state: `state` for the entries, `tree` for the state tree's nodes, both
// of the block at height() whose root is state_root(). As thread-safe as those two readers.
class LedgerReader {
public:
    virtual ~LedgerReader() = default;
    LedgerReader(const LedgerReader&) = delete;
    LedgerReader& operator=(const LedgerReader&) = delete;

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
    // What the delivery session (client key, session id) of `epoch` has claimed, if anything.
    std::optional<SessionClaim> session_claim(Epoch epoch, const ClientKeyBytes& client_key, const SessionId& session_id) const;
    std::optional<Service> service(ServiceId id) const;
    std::vector<NodeIndex> content_providers(const Hash32& content) const;
    std::optional<WithdrawRecord> withdraw(uint64_t id) const;
    bool digest_executed(const Hash32& digest) const;

    // The raw value of a state key (tables.h) and a proof of it, or of its absence.
    Result<StateProofResponse, LedgerError> prove(ByteSpan key) const;
    std::optional<Bytes> state_value(ByteSpan key) const;

    // Visits every state entry in key order (what a checkpoint holds).
    void for_each_entry(const std::function<void(ByteSpan key, ByteSpan value)>& visit) const;
    // The state as a checkpoint.
    Bytes checkpoint() const;

protected:
    LedgerReader(const StateReader& state, const TreeNodeReader& tree, uint64_t height, const Hash32& root)
        : m_state(&state), m_tree(&tree), m_height(height), m_root(root) {}
    // The block that `state` and `tree` hold now (Ledger, after a commit).
    void set_committed(uint64_t height, const Hash32& root) {
        m_height = height;
        m_root = root;
    }

private:
    // The record at `key`, nullopt when absent or when it does not decode.
    template <class T>
    std::optional<T> read(const Bytes& key) const;

    const StateReader* m_state;
    const TreeNodeReader* m_tree;
    uint64_t m_height = 0;
    Hash32 m_root{};
};

// The state of one committed block, kept readable while later blocks execute (a RocksDB
// snapshot, store.h StoreSnapshot): every query answers as of height(), and prove() verifies
// against state_root(). Thread-safe; holds the database open while it lives.
class LedgerSnapshot final : public LedgerReader {
public:
    LedgerSnapshot(std::unique_ptr<const StoreSnapshot> store, uint64_t height, const Hash32& root);
    ~LedgerSnapshot() override;

private:
    std::unique_ptr<const StoreSnapshot> m_store;
};

}  // namespace fleek::ledger
