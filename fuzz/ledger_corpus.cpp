// Writes the seed corpora of the ledger fuzz targets (fuzz/corpus/ledger_*/) from a small test
// network, so they can be regenerated when a format changes:
//   build/debug/fuzz/ledger_fuzz_corpus fuzz/corpus
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "tests/support/ledger_network.h"
#include "util/file.h"

#include <cstdio>
#include <filesystem>

namespace {

using namespace fleek;
using namespace fleek::ledger;

void write(const std::filesystem::path& dir, const std::string& name, ByteSpan bytes) {
    std::filesystem::create_directories(dir);
    auto written = write_file_atomic(dir / name, bytes, FileWriteOptions{0644, true, 0755});
    if (!written) {
        std::fprintf(stderr, "%s\n", written.error().message.c_str());
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    const std::filesystem::path root = argv[1];
    testing::TestNetwork net(testing::NetworkShape{2, 1, 2, 1, 5, 59330});

    // Transactions: one of each method, from the sender kind it expects.
    ConsensusStatement statement;
    statement.origin = net.nodes[1].consensus_key.public_key().bytes();
    statement.subject.fill(1);
    ConsensusStatement conflicting = statement;
    conflicting.subject.fill(2);
    Measurements m;
    m.latency_ms = 12;
    m.uptime_percent = 99;
    m.interactions = static_cast<uint64_t>(int64_t{-2});
    const auto new_node = crypto::NodeSecretKey::from_seed(Bytes(32, 0x44)).value();
    const auto new_consensus = crypto::ConsensusSecretKey::from_seed(Bytes(32, 0x45)).value();
    const AddressBytes to = net.accounts[1].address().bytes();
    std::vector<std::pair<std::string, Bytes>> txs{
        {"transfer", net.account_tx(0, Transfer{Token::flk, to, 1000})},
        {"withdraw", net.account_tx(0, Withdraw{Token::stables, 5, to})},
        {"mint", net.governance_tx(Mint{Token::flk, 7, to, {}})},
        {"stake", net.account_tx(0, Stake{flk_unit(), new_node.public_key().bytes(),
                                          make_node_registration(net.chain_id(), net.accounts[0].address().bytes(), new_node,
                                                                 new_consensus, "edge.example.org", NodePorts{})})},
        {"stake_lock", net.owner_tx(0, StakeLock{0, 4})},
        {"unstake", net.owner_tx(0, Unstake{0, 5})},
        {"withdraw_unstaked", net.owner_tx(0, WithdrawUnstaked{0, to})},
        {"opt_in", net.node_tx(0, OptIn{})},
        {"opt_out", net.consensus_tx(0, OptOut{})},
        {"approve_client_key", net.account_tx(1, ApproveClientKey{net.client_keys[0][0].public_key().bytes()})},
        {"revoke_client_key", net.account_tx(1, RevokeClientKey{net.client_keys[0][0].public_key().bytes()})},
        {"change_epoch", net.node_tx(0, ChangeEpoch{0})},
        {"beacon_commit", net.node_tx(0, BeaconCommit{0, 0, beacon_commitment(0, 0, 0, Hash32{})})},
        {"beacon_reveal", net.node_tx(0, BeaconReveal{0, 0, Hash32{}})},
        {"beacon_commit_timeout", net.node_tx(0, BeaconCommitTimeout{0, 0})},
        {"beacon_reveal_timeout", net.node_tx(0, BeaconRevealTimeout{0, 0})},
        {"reputation", net.node_tx(0, SubmitReputationMeasurements{{{1, m}}})},
        {"delivery", net.node_tx(0, SubmitDeliveryAcknowledgments{{net.receipt(0, 0, 0, 0, 1, 0, 4096), net.receipt(1, 0, 0, 1, 2, 0, 9)}})},
        {"content", net.node_tx(0, UpdateContentRegistry{{{Hash32{}, false}}})},
        {"add_service", net.governance_tx(AddService{3, to, CommodityType::compute, 10})},
        {"remove_service", net.governance_tx(RemoveService{3})},
        {"change_param", net.governance_tx(ChangeProtocolParam{ParamId::node_count, 50})},
        {"slash", net.account_tx(1, Slash{1, sign_statement(statement, net.nodes[1].consensus_key),
                                          sign_statement(conflicting, net.nodes[1].consensus_key)})},
        {"increment_nonce", net.account_tx(1, IncrementNonce{})},
        {"update_node_info", net.node_tx(1, UpdateNodeInfo{1, "edge-1.example.org", NodePorts{}})},
    };
    std::vector<Bytes> block_txs;
    for (const auto& [name, bytes] : txs) {
        write(root / "ledger_transaction", name, bytes);
        if (block_txs.size() < 3) block_txs.push_back(bytes);
    }
    Block block = testing::make_block(1, 1'001'000, block_txs);
    block.epoch = 0;
    write(root / "ledger_transaction", "block", codec::encode(block));

    // Receipts: executing the transactions above gives real receipts of every status.
    const std::filesystem::path scratch = std::filesystem::temp_directory_path() / "fleek-ledger-corpus";
    std::filesystem::remove_all(scratch);
    {
        auto ledger = std::move(Ledger::open(scratch, net.genesis).value());
        std::vector<Bytes> all;
        for (const auto& [name, bytes] : txs) all.push_back(bytes);
        all.push_back(Bytes{1, 2, 3});
        const BlockResult result = ledger->execute(testing::make_block(1, net.genesis.epoch_start_ms + 1000, all)).value();
        write(root / "ledger_receipt", "receipts", codec::encode(ReceiptList{result.receipts}));
        write(root / "ledger_receipt", "receipt", codec::encode(result.receipts.front()));
        write(root / "ledger_receipt", "delivery_receipt", codec::encode(net.receipt(0, 0, 0, 0, 1, 0, 4096)));

        // Proofs of present and absent keys against the real state tree.
        write(root / "ledger_proof", "account", codec::encode(ledger->prove(tables::account(to))->proof));
        write(root / "ledger_proof", "node", codec::encode(ledger->prove(tables::node(0))->proof));
        write(root / "ledger_proof", "absent", codec::encode(ledger->prove(tables::node(77))->proof));
        write(root / "ledger_proof", "empty", codec::encode(StateProof{}));

        // A checkpoint of this small state.
        write(root / "ledger_checkpoint", "state", ledger->checkpoint());
        Checkpoint tiny;
        tiny.header.chain_id = 1;
        tiny.entries = {{Bytes{1}, Bytes{2}}, {Bytes{3, 4}, Bytes{}}};
        write(root / "ledger_checkpoint", "tiny", encode_checkpoint(tiny));
    }
    std::filesystem::remove_all(scratch);

    // Genesis files: the test network's (one committee node) and a minimal one.
    const std::string text = render_genesis(net.genesis);
    write(root / "ledger_genesis", "network.toml", as_bytes(text));
    testing::TestNetwork single(testing::NetworkShape{1, 1, 0, 0, 6, 7});
    single.genesis.services.clear();
    write(root / "ledger_genesis", "minimal.toml", as_bytes(render_genesis(single.genesis)));
    std::printf("wrote ledger seed corpora under %s\n", root.string().c_str());
    return 0;
}
