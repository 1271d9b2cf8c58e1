#include "ledger/ledger.h"

#include "ledger/checkpoint.h"
#include "ledger/executor.h"
#include "ledger/store.h"
#include "ledger/typed_state.h"
#include "util/encoding.h"
#include "util/file.h"
#include "util/log.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace fleek::ledger {

namespace {

constexpr const char* meta_format = "format";
constexpr const char* meta_height = "height";
constexpr const char* meta_root = "state_root";
constexpr uint8_t format_version = 1;

Bytes u64_le(uint64_t value) {
    codec::Writer w;
    w.u64(value);
    return w.take();
}

std::vector<std::pair<std::string, Bytes>> meta_entries(uint64_t height, const Hash32& root) {
    return {{meta_format, Bytes{format_version}}, {meta_height, u64_le(height)}, {meta_root, Bytes(root.begin(), root.end())}};
}

std::vector<TreeChange> tree_changes(const ChangeMap& changes) {
    std::vector<TreeChange> out;
    out.reserve(changes.size());
    for (const auto& [key, value] : changes) {
        TreeChange change;
        change.path = state_key_path(key);
        if (value) change.value_hash = state_value_hash(*value);
        out.push_back(change);
    }
    return out;
}

LedgerError store_error(const StoreError& error) {
    return LedgerError{error.code == StoreErrorCode::corrupt ? LedgerErrorCode::corrupt : LedgerErrorCode::io, error.message};
}

std::filesystem::path checkpoint_dir(const std::filesystem::path& dir) { return dir / "checkpoints"; }

std::string checkpoint_file_name(Epoch epoch) { return fmt::format("epoch-{:020}.ckpt", epoch); }

}  // namespace

void apply_genesis(StateView& view, const Genesis& genesis) {
    TypedState s(view);
    const ProtocolParams& params = genesis.params;
    ChainInfo chain;
    chain.chain_id = genesis.chain_id;
    chain.genesis_digest = genesis.digest();
    chain.block_timestamp_ms = genesis.epoch_start_ms;
    chain.governance = genesis.governance;
    chain.protocol_fund = genesis.protocol_fund;
    chain.next_node_index = static_cast<NodeIndex>(genesis.nodes.size());

    for (const GenesisAccount& entry : genesis.accounts) {
        AccountInfo account;
        account.flk = entry.flk;
        account.stables = entry.stables;
        account.bandwidth = entry.bandwidth;
        account.client_keys = entry.client_keys;
        std::sort(account.client_keys.begin(), account.client_keys.end());
        for (const ClientKeyBytes& key : account.client_keys) {
            view.put(tables::client_key(key), Bytes(entry.address.begin(), entry.address.end()));
        }
        s.set_account(entry.address, account);
        chain.flk_supply += entry.flk;
        chain.stables_supply += entry.stables;
    }
    CommitteeInfo committee;
    for (size_t i = 0; i < genesis.nodes.size(); ++i) {
        const GenesisNode& entry = genesis.nodes[i];
        const auto index = static_cast<NodeIndex>(i);
        NodeInfo node;
        node.owner = entry.owner;
        node.node_key = entry.node_key;
        node.consensus_key = entry.consensus_key;
        node.domain = entry.domain;
        node.ports = entry.ports;
        node.staked = entry.stake;
        node.stake_locked_until = entry.stake_locked_until;
        node.participation = entry.stake >= params.min_stake ? Participation::active : Participation::inactive;
        s.set_node(index, node);
        s.put_u32_be(tables::node_key_index(entry.node_key), index);
        s.put_u32_be(tables::consensus_key_index(entry.consensus_key), index);
        chain.flk_supply += entry.stake;
        if (entry.genesis_committee) {
            committee.members.push_back(index);
            chain.genesis_committee.push_back(index);
        }
        if (node.participation == Participation::active) committee.active_set.push_back(index);
    }
    for (const GenesisService& entry : genesis.services) {
        s.put(tables::service(entry.id), Service{entry.owner, entry.commodity, entry.price_per_million_units});
    }
    chain.flk_supply_year_start = chain.flk_supply;
    committee.start_ms = genesis.epoch_start_ms;
    committee.end_ms = genesis.epoch_start_ms + params.epoch_time_ms;
    s.set_committee(0, committee);
    s.set_params(params);
    s.set_chain(chain);
}

Ledger::Ledger(std::filesystem::path dir, std::unique_ptr<Store> store, LedgerOptions options)
    : LedgerReader(*store, *store, 0, Hash32{}), m_dir(std::move(dir)), m_store(std::move(store)), m_options(std::move(options)) {}

Ledger::~Ledger() = default;

Result<std::unique_ptr<Ledger>, LedgerError> Ledger::open(const std::filesystem::path& dir, const Genesis& genesis,
                                                          LedgerOptions options) {
    auto store = Store::open(dir / "db", Store::Options{options.sync_writes, options.tree_cache_entries});
    if (!store) return fail(store_error(store.error()));
    std::unique_ptr<Ledger> ledger(new Ledger(dir, std::move(*store), std::move(options)));
    if (!ledger->m_store->get_meta(meta_height)) {
        if (ledger->m_store->read_failed()) return fail(LedgerError{LedgerErrorCode::io, "cannot read " + dir.string()});
        if (auto valid = validate_genesis(genesis); !valid) {
            return fail(LedgerError{LedgerErrorCode::invalid_genesis, "invalid genesis: " + valid.error().message});
        }
        StateView view(*ledger->m_store);
        apply_genesis(view, genesis);
        TreeWrites writes;
        auto root = update_state_tree(*ledger->m_store, tree_changes(view.changes()), writes);
        if (!root) return fail(LedgerError{LedgerErrorCode::corrupt, "state tree of a new ledger is not empty"});
        if (auto done = ledger->m_store->commit(view.changes(), writes, meta_entries(0, *root)); !done) {
            return fail(store_error(done.error()));
        }
        FLEEK_LOG_INFO("ledger", "applied genesis of chain {} in {}", genesis.chain_id, dir.string());
    }
    if (auto loaded = ledger->load_meta(); !loaded) return fail(loaded.error());
    if (ledger->chain_info().genesis_digest != genesis.digest()) {
        return fail(LedgerError{LedgerErrorCode::genesis_mismatch,
                                dir.string() + " holds the ledger of another genesis (or another version of it)"});
    }
    return ledger;
}

Result<void, LedgerError> Ledger::load_meta() {
    const auto format = m_store->get_meta(meta_format);
    const auto height = m_store->get_meta(meta_height);
    const auto root = m_store->get_meta(meta_root);
    if (!format || !height || !root || format->size() != 1 || height->size() != 8 || root->size() != 32) {
        return fail(LedgerError{LedgerErrorCode::corrupt, "ledger metadata missing or malformed in " + m_dir.string()});
    }
    if ((*format)[0] != format_version) {
        return fail(LedgerError{LedgerErrorCode::corrupt, fmt::format("ledger format {} is not {}", (*format)[0], format_version)});
    }
    codec::Reader r(*height);
    const uint64_t stored_height = r.u64().value();
    Hash32 stored_root{};
    std::copy(root->begin(), root->end(), stored_root.begin());
    auto tree_root = state_tree_root(*m_store);
    if (!tree_root || *tree_root != stored_root) {
        return fail(LedgerError{LedgerErrorCode::corrupt, "state tree does not match the stored state root"});
    }
    set_committed(stored_height, stored_root);
    const auto chain_bytes = m_store->get_state(tables::chain());
    std::optional<ChainInfo> chain;
    if (chain_bytes) {
        if (auto decoded = codec::decode<ChainInfo>(*chain_bytes)) chain = std::move(*decoded);
    }
    if (!chain || chain->block_height != stored_height) {
        return fail(LedgerError{LedgerErrorCode::corrupt, "chain record missing or at another height"});
    }
    return {};
}

Result<std::unique_ptr<Ledger>, LedgerError> Ledger::restore(const std::filesystem::path& dir, const Genesis& genesis,
                                                             ByteSpan checkpoint_bytes, LedgerOptions options) {
    const auto invalid = [](std::string message) {
        return fail(LedgerError{LedgerErrorCode::invalid_checkpoint, std::move(message)});
    };
    auto checkpoint = decode_checkpoint(checkpoint_bytes);
    if (!checkpoint) return invalid(fmt::format("checkpoint does not decode: {}", codec::to_string(checkpoint.error())));
    if (checkpoint->header.chain_id != genesis.chain_id) return invalid("checkpoint of another chain");
    ChangeMap changes;
    for (auto& [key, value] : checkpoint->entries) {
        if (!valid_state_entry(key, value)) {
            return invalid(fmt::format("checkpoint entry {} is not a valid state entry", hex_encode(ByteSpan(key).first(std::min<size_t>(key.size(), 40)))));
        }
        changes.emplace(std::move(key), std::move(value));
    }
    MemoryTree empty;
    TreeWrites writes;
    auto root = update_state_tree(empty, tree_changes(changes), writes);
    if (!root || *root != checkpoint->header.state_root) return invalid("checkpoint entries do not hash to its state root");
    auto chain_bytes = changes.find(tables::chain());
    if (chain_bytes == changes.end() || !chain_bytes->second) return invalid("checkpoint has no chain record");
    auto chain = codec::decode<ChainInfo>(*chain_bytes->second);
    if (!chain || chain->genesis_digest != genesis.digest() || chain->block_height != checkpoint->header.height ||
        chain->epoch != checkpoint->header.epoch) {
        return invalid("checkpoint chain record does not match this genesis or the checkpoint header");
    }
    auto store = Store::open(dir / "db", Store::Options{options.sync_writes, options.tree_cache_entries});
    if (!store) return fail(store_error(store.error()));
    if ((*store)->get_meta(meta_height)) {
        return fail(LedgerError{LedgerErrorCode::not_empty, dir.string() + " already holds a ledger"});
    }
    if (auto done = (*store)->commit(changes, writes, meta_entries(checkpoint->header.height, *root)); !done) {
        return fail(store_error(done.error()));
    }
    std::unique_ptr<Ledger> ledger(new Ledger(dir, std::move(*store), std::move(options)));
    if (auto loaded = ledger->load_meta(); !loaded) return fail(loaded.error());
    return ledger;
}

Result<BlockResult, BlockError> Ledger::execute(const Block& block) { return execute(block, {}); }

Result<BlockResult, BlockError> Ledger::execute(const Block& block,
                                                const std::function<bool(const BlockResult&)>& before_commit) {
    if (block.transactions.size() > block_transactions_max) return fail(BlockError::too_many_transactions);
    size_t total_bytes = 0;
    for (const Bytes& tx : block.transactions) total_bytes += tx.size();
    if (total_bytes > block_size_max) return fail(BlockError::too_large);
    if (block.height != height() + 1) return fail(BlockError::wrong_height);
    m_store->clear_read_failure();
    StateView view(*m_store);
    TypedState state(view);
    ChainInfo chain = state.chain();
    if (view.failed()) return fail(BlockError::storage);
    if (block.epoch && *block.epoch != chain.epoch) return fail(BlockError::wrong_epoch);
    if (block.timestamp_ms < chain.block_timestamp_ms) return fail(BlockError::timestamp_regressed);

    BlockResult result;
    result.height = block.height;
    result.block_digest = block.digest();
    Executor executor(view, BlockContext{block.height, block.timestamp_ms, state_root(), result.block_digest});
    result.receipts.reserve(block.transactions.size());
    for (size_t i = 0; i < block.transactions.size(); ++i) {
        result.receipts.push_back(executor.execute(block.transactions[i]));
        if (m_options.after_transaction) m_options.after_transaction(i);
    }
    chain = state.chain();
    chain.block_height = block.height;
    chain.block_timestamp_ms = block.timestamp_ms;
    chain.last_block_digest = result.block_digest;
    state.set_chain(chain);
    if (view.failed()) return fail(BlockError::storage);

    TreeWrites writes;
    auto root = update_state_tree(*m_store, tree_changes(view.changes()), writes);
    if (!root || m_store->read_failed()) return fail(BlockError::storage);
    result.state_root = *root;
    result.epoch = chain.epoch;
    result.epoch_era = chain.epoch_era;
    result.epoch_changed = executor.effects().epoch_changed;
    result.committee_changed = executor.effects().committee_changed;
    result.receipts_digest = ReceiptList{result.receipts}.digest();
    if (result.epoch_changed) {
        // Written before the commit: a crash in between re-executes the block and rewrites it.
        auto checkpoint = write_checkpoint(view, chain, *root);
        if (!checkpoint) return fail(checkpoint.error());
        result.checkpoint = std::move(*checkpoint);
    }
    if (m_options.before_commit) m_options.before_commit();
    if (before_commit && !before_commit(result)) return fail(BlockError::storage);
    if (auto done = m_store->commit(view.changes(), writes, meta_entries(block.height, *root)); !done) {
        FLEEK_LOG_ERROR("ledger", "commit of block {} failed: {}", block.height, done.error().message);
        return fail(BlockError::storage);
    }
    set_committed(block.height, *root);
    return result;
}

Result<CheckpointInfo, BlockError> Ledger::write_checkpoint(const StateView& view, const ChainInfo& chain, const Hash32& root) {
    CheckpointWriter writer(CheckpointHeader{chain.chain_id, chain.epoch, chain.block_height, root});
    view.scan({}, [&](ByteSpan key, ByteSpan value) {
        writer.add(key, value);
        return true;
    });
    if (view.failed()) return fail(BlockError::storage);
    const Bytes bytes = writer.finish();
    CheckpointInfo info;
    info.epoch = chain.epoch;
    info.height = chain.block_height;
    info.hash = checkpoint_hash(bytes);
    info.state_root = root;
    info.path = checkpoint_dir(m_dir) / checkpoint_file_name(chain.epoch);
    if (auto written = write_file_atomic(info.path, bytes, FileWriteOptions{0644, true, 0755}); !written) {
        FLEEK_LOG_ERROR("ledger", "cannot write checkpoint: {}", written.error().message);
        return fail(BlockError::storage);
    }
    // Keep the newest checkpoints_kept files (names sort by epoch).
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(checkpoint_dir(m_dir), ec)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("epoch-") && name.ends_with(".ckpt")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    const size_t keep = std::max<size_t>(1, m_options.checkpoints_kept);
    for (size_t i = 0; i + keep < files.size(); ++i) std::filesystem::remove(files[i], ec);
    FLEEK_LOG_INFO("ledger", "checkpoint of epoch {} at height {}: {}", info.epoch, info.height, info.path.string());
    return info;
}

std::shared_ptr<const LedgerSnapshot> Ledger::snapshot() const {
    return std::make_shared<const LedgerSnapshot>(m_store->snapshot(), height(), state_root());
}

}  // namespace fleek::ledger
