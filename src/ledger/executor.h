// Executes the transactions of one block on a StateView (internal to the ledger module; the
// public entry point is Ledger::execute). Rules per method: docs/formats/ledger-transactions.md.
#pragma once

#include "ledger/block.h"
#include "ledger/store.h"
#include "ledger/transaction.h"

namespace fleek::ledger {

struct BlockContext {
    uint64_t height = 0;
    uint64_t timestamp_ms = 0;
    Hash32 parent_state_root{};  // the state root before this block
    Hash32 block_digest{};
};

struct ExecutionEffects {
    bool epoch_changed = false;
    bool committee_changed = false;
};

class Executor {
public:
    Executor(StateView& view, const BlockContext& context) : m_view(view), m_context(context) {}

    // Verifies and executes one transaction given as its wire bytes.
    TransactionReceipt execute(ByteSpan transaction_bytes);
    // The same for a decoded transaction (digest = transaction.digest()).
    TransactionReceipt execute(const SignedTransaction& transaction, const Hash32& digest);

    const ExecutionEffects& effects() const { return m_effects; }

private:
    StateView& m_view;
    BlockContext m_context;
    ExecutionEffects m_effects;
};

}  // namespace fleek::ledger
