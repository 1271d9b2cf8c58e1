// The ledger's formats: transaction envelope and digest, signatures of each sender kind,
// delivery receipts, transaction receipts, blocks, genesis TOML and checkpoints — with the test
// vectors of docs/formats/.
#include "ledger/block.h"
#include "ledger/checkpoint.h"
#include "ledger/genesis.h"
#include "ledger/transaction.h"
#include "tests/support/ledger_network.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fleek::ledger {
namespace {

crypto::AccountSecretKey vector_account_key() { return crypto::AccountSecretKey::from_bytes(Bytes(32, 0x01)).value(); }

Transaction vector_transfer() {
    AddressBytes to{};
    to.fill(0x22);
    return Transaction{AccountSender{vector_account_key().address().bytes()}, 1, 59330,
                       Transfer{Token::flk, to, flk_unit()}};
}

// docs/formats/ledger-transactions.md §Vector.
TEST(TransactionFormat, TransferVector) {
    const Transaction tx = vector_transfer();
    const Bytes encoded = codec::encode(tx);
    EXPECT_EQ(hex_encode(encoded),
              "02"                                          // sender: account
              "1a642f0e3c3af545e7acbd38b07251b3990914f1"    // its address
              "0100000000000000"                            // nonce 1
              "c2e7000000000000"                            // chain id 59330
              "00"                                          // method: Transfer
              "00"                                          // token: FLK
              "2222222222222222222222222222222222222222"    // to
              "000064a7b3b6e00d000000000000000000000000000000000000000000000000");  // 10^18
    EXPECT_EQ(tx.digest(), crypto::blake3_derive_key("fleek-network transaction v1", encoded));
    EXPECT_EQ(hex_encode(tx.digest()), "9aeb48f26b1908f0d68428656e3137ac6139c300cf57fa5dd1cc714f809b42b4");
    const SignedTransaction signed_tx = sign_transaction(tx, vector_account_key());
    EXPECT_EQ(signed_tx.transaction, tx);
    // EIP-191 personal_sign of the 32-byte digest (RFC 6979 nonces make it deterministic).
    EXPECT_EQ(crypto::ethereum::recover_personal_sign(tx.digest(), crypto::AccountSignature::from_bytes(signed_tx.signature).value())
                  .value(),
              vector_account_key().address());
    const Bytes wire = signed_tx.to_bytes();
    EXPECT_EQ(wire.size(), encoded.size() + 4 + 65);
    EXPECT_EQ(codec::decode<SignedTransaction>(wire).value(), signed_tx);
    EXPECT_TRUE(verify_transaction_signature(signed_tx, tx.digest()));
}

TEST(TransactionFormat, EverySenderKindSignsTheDigest) {
    const auto node = crypto::NodeSecretKey::from_seed(Bytes(32, 2)).value();
    const auto consensus = crypto::ConsensusSecretKey::from_seed(Bytes(32, 3)).value();
    const auto account = vector_account_key();
    const Transaction base{AccountSender{}, 7, 1, IncrementNonce{}};
    for (const SignedTransaction& tx :
         {sign_transaction(base, node), sign_transaction(base, consensus), sign_transaction(base, account)}) {
        const Hash32 digest = tx.transaction.digest();
        EXPECT_TRUE(verify_transaction_signature(tx, digest));
        EXPECT_EQ(tx.signature.size(), signature_size_for(tx.transaction.sender));
        SignedTransaction changed = tx;
        changed.transaction.nonce = 8;
        EXPECT_FALSE(verify_transaction_signature(changed, changed.transaction.digest()));
        // The wrong signature length for the sender does not decode.
        SignedTransaction wrong_length = tx;
        wrong_length.signature.pop_back();
        EXPECT_EQ(codec::decode<SignedTransaction>(wrong_length.to_bytes()).error(), codec::DecodeError::invalid_value);
    }
    // A node signature does not verify as the same key's client signature: roles are typed,
    // and the digest binds the sender, so a signature for one sender never verifies for another.
    SignedTransaction as_node = sign_transaction(base, node);
    as_node.transaction.sender = NodeSender{crypto::NodeSecretKey::from_seed(Bytes(32, 4)).value().public_key().bytes()};
    EXPECT_FALSE(verify_transaction_signature(as_node, as_node.transaction.digest()));
}

TEST(TransactionFormat, EveryMethodRoundTrips) {
    testing::TestNetwork net(testing::NetworkShape{2, 2, 2, 1, 1, 59330});
    ConsensusStatement statement;
    statement.origin = net.nodes[0].consensus_key.public_key().bytes();
    Measurements m;
    m.latency_ms = 5;
    m.interactions = static_cast<uint64_t>(int64_t{-3});
    const std::vector<Method> methods{
        Transfer{Token::stables, {}, 5},
        Withdraw{Token::flk, 5, {}},
        Mint{Token::flk, 5, {}, {}},
        Stake{5, {}, make_node_registration(1, {}, net.nodes[0].node_key, net.nodes[0].consensus_key, "a.b", {})},
        StakeLock{1, 2},
        Unstake{1, 2},
        WithdrawUnstaked{1, AddressBytes{}},
        OptIn{},
        OptOut{},
        ApproveClientKey{},
        RevokeClientKey{},
        ChangeEpoch{3},
        BeaconCommit{1, 2, {}},
        BeaconReveal{1, 2, {}},
        BeaconCommitTimeout{1, 2},
        BeaconRevealTimeout{1, 2},
        SubmitReputationMeasurements{{{1, m}}},
        SubmitDeliveryAcknowledgments{{net.receipt(0, 0, 1, 0, 1, 0, 9)}},
        UpdateContentRegistry{{{{}, true}}},
        AddService{1, {}, CommodityType::gpu, 9},
        RemoveService{1},
        ChangeProtocolParam{ParamId::trust_weight_percent, 5},
        Slash{1, sign_statement(statement, net.nodes[0].consensus_key), sign_statement(statement, net.nodes[0].consensus_key)},
        IncrementNonce{},
        UpdateNodeInfo{1, "a.b", NodePorts{}},
    };
    ASSERT_EQ(methods.size(), std::variant_size_v<Method>);
    for (size_t i = 0; i < methods.size(); ++i) {
        ASSERT_EQ(methods[i].index(), i);
        const Transaction tx{NodeSender{}, 1, 2, methods[i]};
        const Bytes encoded = codec::encode(tx);
        EXPECT_EQ(encoded[1 + 32 + 16], i) << method_name(methods[i]);  // the method tag
        EXPECT_EQ(codec::decode<Transaction>(encoded).value(), tx) << method_name(methods[i]);
        // Every strict prefix is refused.
        for (size_t cut = 0; cut < encoded.size(); cut += 7) {
            EXPECT_FALSE(codec::decode<Transaction>(ByteSpan(encoded).first(cut)).has_value());
        }
    }
    Bytes unknown = codec::encode(Transaction{NodeSender{}, 1, 2, IncrementNonce{}});
    unknown[1 + 32 + 16] = std::variant_size_v<Method>;
    EXPECT_EQ(codec::decode<Transaction>(unknown).error(), codec::DecodeError::unknown_tag);
}

// docs/formats/delivery-receipts.md §Vector.
TEST(DeliveryReceiptFormat, Vector) {
    DeliveryReceipt r;
    r.chain_id = 59330;
    r.node.fill(0xaa);
    r.service = 0;
    r.session_id.fill(0x5e);
    r.epoch = 3;
    r.amount = 1'048'576;
    const Bytes encoded = codec::encode(r);
    std::string session;
    for (int i = 0; i < 16; ++i) session += "5e";
    EXPECT_EQ(hex_encode(encoded), "c2e7000000000000" + std::string(64, 'a') + "00000000" + session +
                                       "0300000000000000" "0000100000000000");
    EXPECT_EQ(r.digest(), crypto::blake3_derive_key("fleek-network delivery-receipt v1", encoded));
    const auto client = crypto::ClientSecretKey::from_seed(Bytes(32, 0x07)).value();
    const SignedDeliveryReceipt signed_receipt = sign_delivery_receipt(r, client);
    EXPECT_TRUE(verify_delivery_receipt(signed_receipt));
    const Bytes wire = codec::encode(signed_receipt);
    EXPECT_EQ(wire.size(), signed_delivery_receipt_size);
    EXPECT_EQ(codec::decode<SignedDeliveryReceipt>(wire).value(), signed_receipt);
    SignedDeliveryReceipt tampered = signed_receipt;
    tampered.receipt.amount += 1;
    EXPECT_FALSE(verify_delivery_receipt(tampered));
    tampered = signed_receipt;
    tampered.client_key.fill(0);
    EXPECT_FALSE(verify_delivery_receipt(tampered));
    // A batch reports its first bad receipt; each distinct key is parsed once.
    std::vector<SignedDeliveryReceipt> batch(5, signed_receipt);
    EXPECT_EQ(verify_delivery_receipts(batch), std::nullopt);
    batch[3] = tampered;
    batch[4].signature[0] ^= 1;
    EXPECT_EQ(verify_delivery_receipts(batch), std::optional<size_t>(3));
    batch[3] = signed_receipt;
    EXPECT_EQ(verify_delivery_receipts(batch), std::optional<size_t>(4));
}

TEST(ReceiptFormat, RoundTripAndConsistency) {
    ReceiptList list;
    Hash32 digest{};
    digest.fill(3);
    list.receipts.push_back(TransactionReceipt{digest, ReceiptStatus::success, TxError::none, NodeIndexOutput{4}});
    list.receipts.push_back(TransactionReceipt{digest, ReceiptStatus::reverted, TxError::insufficient_balance, NoOutput{}});
    list.receipts.push_back(TransactionReceipt{digest, ReceiptStatus::rejected, TxError::bad_nonce, NoOutput{}});
    list.receipts.push_back(TransactionReceipt{digest, ReceiptStatus::success, TxError::none,
                                               DeliveryOutput{5, 6, 7, {{DeliveryReceiptStatus::counted}, {DeliveryReceiptStatus::bad_signature}}}});
    const Bytes encoded = codec::encode(list);
    EXPECT_EQ(codec::decode<ReceiptList>(encoded).value(), list);
    EXPECT_EQ(list.digest(), crypto::blake3_derive_key("fleek-network receipts v1", encoded));
    // docs/formats/ledger-transactions.md: the second receipt.
    EXPECT_EQ(hex_encode(codec::encode(list.receipts[1])), hex_encode(digest) + "01" "0b00" "00");
    // The delivery output: units, paid, shortfall, then one status byte per receipt.
    EXPECT_EQ(hex_encode(codec::encode(list.receipts[3])),
              hex_encode(digest) + "00" "0000" "03" "0500000000000000" "06" + std::string(62, '0') + "07" + std::string(62, '0') +
                  "02000000" "00" "07");
    // An unknown per-receipt status, or more results than a batch holds, does not decode.
    Bytes unknown_status = codec::encode(list.receipts[3]);
    unknown_status.back() = delivery_receipt_status_count;
    EXPECT_EQ(codec::decode<TransactionReceipt>(unknown_status).error(), codec::DecodeError::unknown_tag);
    DeliveryOutput too_many;
    too_many.results.resize(delivery_receipts_per_tx_max);
    Bytes oversized = codec::encode(TransactionReceipt{digest, ReceiptStatus::success, TxError::none, too_many});
    oversized[32 + 1 + 2 + 1 + 8 + 64] = 0xe9;  // the count's low byte: 1,001 (0x3e9)
    oversized.push_back(0);
    EXPECT_EQ(codec::decode<TransactionReceipt>(oversized).error(), codec::DecodeError::length_too_large);
    const auto bad = [](TransactionReceipt r) { return codec::decode<TransactionReceipt>(codec::encode(r)).error(); };
    EXPECT_EQ(bad({digest, ReceiptStatus::success, TxError::bad_nonce, NoOutput{}}), codec::DecodeError::invalid_value);
    EXPECT_EQ(bad({digest, ReceiptStatus::rejected, TxError::insufficient_balance, NoOutput{}}), codec::DecodeError::invalid_value);
    EXPECT_EQ(bad({digest, ReceiptStatus::reverted, TxError::bad_nonce, NoOutput{}}), codec::DecodeError::invalid_value);
    EXPECT_EQ(bad({digest, ReceiptStatus::reverted, TxError::zero_amount, SlashOutput{1}}), codec::DecodeError::invalid_value);
    Bytes unknown_error = codec::encode(list.receipts[1]);
    unknown_error[33] = static_cast<uint8_t>(tx_error_count);
    EXPECT_EQ(codec::decode<TransactionReceipt>(unknown_error).error(), codec::DecodeError::unknown_tag);
}

TEST(BlockFormat, RoundTripAndDigest) {
    Block block;
    block.height = 9;
    block.epoch = 2;
    block.timestamp_ms = 1234;
    block.transactions = {Bytes{1, 2}, Bytes{}};
    const Bytes encoded = codec::encode(block);
    EXPECT_EQ(hex_encode(encoded), "0900000000000000" "010200000000000000" "d204000000000000" "02000000" "020000000102" "00000000");
    EXPECT_EQ(codec::decode<Block>(encoded).value(), block);
    EXPECT_EQ(block.digest(), crypto::blake3_derive_key("fleek-network block v1", encoded));
}

// ---- genesis ----------------------------------------------------------------------------------------

TEST(GenesisFormat, RenderAndParseRoundTrip) {
    testing::TestNetwork net;
    const std::string text = render_genesis(net.genesis);
    auto parsed = parse_genesis(text, "test.toml");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(*parsed, net.genesis);
    EXPECT_EQ(parsed->digest(), net.genesis.digest());
    EXPECT_EQ(render_genesis(*parsed), text);
}

TEST(GenesisFormat, StrictErrorsNameTheKey) {
    testing::TestNetwork net;
    const std::string good = render_genesis(net.genesis);
    const auto error_of = [](const std::string& text) {
        auto parsed = parse_genesis(text, "g.toml");
        return parsed ? std::string("no error") : parsed.error().message;
    };
    const auto replace = [&](const std::string& from, const std::string& to) {
        std::string text = good;
        const size_t at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return text.replace(at, from.size(), to);
    };
    EXPECT_NE(error_of("chain_id = ").find("g.toml:1"), std::string::npos);  // syntax
    EXPECT_NE(error_of(good + "\nsurprise = 1\n").find("unknown key services[1].surprise"), std::string::npos);
    EXPECT_NE(error_of("surprise = 1\n" + good).find("g.toml:1:12: unknown key surprise"), std::string::npos);
    EXPECT_NE(error_of(replace("chain_id = 59330", "chain_id = \"x\"")).find("chain_id must be an integer"), std::string::npos);
    EXPECT_NE(error_of(replace("chain_id = 59330\n", "")).find("missing key chain_id"), std::string::npos);
    EXPECT_NE(error_of(replace("committee_size = 4", "committee_size = 0")).find("params"), std::string::npos);
    EXPECT_NE(error_of(replace("committee_size = 4", "committee_size = 5000000000")).find("params.committee_size is out of range"),
              std::string::npos);
    EXPECT_NE(error_of(replace("governance = \"0x", "governance = \"1x")).find("governance is not a 0x address"), std::string::npos);
    EXPECT_NE(error_of(replace("\nstake = \"", "\nstake = \"-")).find("nodes[0].stake: amount must be decimal digits"),
              std::string::npos);
    EXPECT_NE(error_of(replace("domain = \"127.0.0.1\"", "domain = \"a b\"")).find("nodes[0]: invalid domain"), std::string::npos);
    EXPECT_NE(error_of(replace("pool = 10000", "pool = 0")).find("nodes[0].ports.pool must be a port"), std::string::npos);
    EXPECT_NE(error_of(replace("pool = 10000", "pool = 10001")).find("nodes[0]: ports must be non-zero and distinct"),
              std::string::npos);
    EXPECT_NE(error_of(replace("commodity = \"bandwidth\"", "commodity = \"water\"")).find("services[0].commodity"),
              std::string::npos);
    // A proof of possession of another key.
    const std::string pop0 = hex_encode(net.genesis.nodes[0].consensus_pop);
    const std::string pop1 = hex_encode(net.genesis.nodes[1].consensus_pop);
    EXPECT_NE(error_of(replace(pop0, pop1)).find("nodes[0]: consensus_pop is not a proof of possession"), std::string::npos);
    // Duplicate keys, no committee, a committee member below min_stake.
    Genesis dup = net.genesis;
    dup.nodes[1].node_key = dup.nodes[0].node_key;
    EXPECT_NE(validate_genesis(dup).error().message.find("duplicate node key"), std::string::npos);
    Genesis no_committee = net.genesis;
    for (auto& node : no_committee.nodes) node.genesis_committee = false;
    EXPECT_NE(validate_genesis(no_committee).error().message.find("genesis_committee"), std::string::npos);
    Genesis poor = net.genesis;
    poor.nodes[0].stake = 1;
    EXPECT_NE(validate_genesis(poor).error().message.find("min_stake"), std::string::npos);
    Genesis dup_account = net.genesis;
    dup_account.accounts.push_back(dup_account.accounts[0]);
    EXPECT_NE(validate_genesis(dup_account).error().message.find("duplicate address"), std::string::npos);
}

TEST(GenesisFormat, DefaultsFillMissingParams) {
    testing::TestNetwork net;
    std::string text = render_genesis(net.genesis);
    const size_t begin = text.find("[params]");
    const size_t end = text.find("[[accounts]]");
    text.erase(begin, end - begin);
    auto parsed = parse_genesis(text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->params, ProtocolParams{});
}

// ---- checkpoints -------------------------------------------------------------------------------------

TEST(CheckpointFormat, RoundTripAndStrictDecoding) {
    Checkpoint checkpoint;
    checkpoint.header = CheckpointHeader{59330, 4, 100, {}};
    checkpoint.header.state_root.fill(9);
    checkpoint.entries = {{Bytes{1}, Bytes{2, 3}}, {Bytes{1, 0}, Bytes{}}, {Bytes{2}, Bytes{4}}};
    const Bytes bytes = encode_checkpoint(checkpoint);
    EXPECT_EQ(decode_checkpoint(bytes).value(), checkpoint);
    EXPECT_EQ(hex_encode(ByteSpan(bytes).first(8)), hex_encode(as_bytes("FLEEKCKP")));
    EXPECT_EQ(checkpoint_hash(bytes), crypto::blake3_derive_key("fleek-network checkpoint v1", bytes));
    Bytes bad_magic = bytes;
    bad_magic[0] = 'X';
    EXPECT_EQ(decode_checkpoint(bad_magic).error(), codec::DecodeError::invalid_value);
    Bytes bad_version = bytes;
    bad_version[8] = 2;
    EXPECT_EQ(decode_checkpoint(bad_version).error(), codec::DecodeError::invalid_value);
    Checkpoint unsorted = checkpoint;
    std::swap(unsorted.entries[0], unsorted.entries[2]);
    EXPECT_EQ(decode_checkpoint(encode_checkpoint(unsorted)).error(), codec::DecodeError::invalid_value);
    Checkpoint duplicate = checkpoint;
    duplicate.entries[1].first = Bytes{1};
    EXPECT_EQ(decode_checkpoint(encode_checkpoint(duplicate)).error(), codec::DecodeError::invalid_value);
    Bytes trailing = bytes;
    trailing.push_back(0);
    EXPECT_EQ(decode_checkpoint(trailing).error(), codec::DecodeError::trailing_bytes);
    Bytes huge_count = bytes;
    huge_count[8 + 1 + 24 + 32 + 7] = 0x7f;
    EXPECT_EQ(decode_checkpoint(huge_count).error(), codec::DecodeError::truncated);
    for (size_t cut = 0; cut < bytes.size(); ++cut) EXPECT_FALSE(decode_checkpoint(ByteSpan(bytes).first(cut)).has_value());
}

}  // namespace
}  // namespace fleek::ledger

namespace fleek::ledger {
namespace {

// The fuzz seeds (written by fuzz/ledger_corpus.cpp) are valid inputs of their decoders, so the
// mutations start from real transactions, receipts, proofs, genesis files and checkpoints.
std::vector<Bytes> corpus(const std::string& target) {
    std::vector<Bytes> out;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(FLEEK_SOURCE_DIR) / "fuzz/corpus" / target)) {
        std::ifstream in(entry.path(), std::ios::binary);
        out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
}

TEST(FuzzCorpus, LedgerSeedsAreValidInputs) {
    const auto transactions = corpus("ledger_transaction");
    EXPECT_EQ(transactions.size(), std::variant_size_v<Method> + 1);
    size_t blocks = 0;
    for (const Bytes& seed : transactions) {
        auto tx = codec::decode<SignedTransaction>(seed);
        if (!tx) {
            EXPECT_TRUE(codec::decode<Block>(seed).has_value());
            ++blocks;
            continue;
        }
        EXPECT_TRUE(verify_transaction_signature(*tx, tx->transaction.digest()));
    }
    EXPECT_EQ(blocks, 1u);
    size_t receipts = 0;
    for (const Bytes& seed : corpus("ledger_receipt")) {
        receipts += codec::decode<ReceiptList>(seed).has_value() + codec::decode<TransactionReceipt>(seed).has_value() +
                    codec::decode<SignedDeliveryReceipt>(seed).has_value();
    }
    EXPECT_EQ(receipts, 3u);
    for (const Bytes& seed : corpus("ledger_proof")) EXPECT_TRUE(codec::decode<StateProof>(seed).has_value());
    for (const Bytes& seed : corpus("ledger_genesis")) {
        auto genesis = parse_genesis(as_string_view(seed));
        EXPECT_TRUE(genesis.has_value()) << genesis.error().message;
    }
    for (const Bytes& seed : corpus("ledger_checkpoint")) EXPECT_TRUE(decode_checkpoint(seed).has_value());
}

}  // namespace
}  // namespace fleek::ledger

namespace fleek::ledger {
namespace {

TEST(GenesisFormat, DocumentedExampleLoads) {
    std::ifstream in(std::filesystem::path(FLEEK_SOURCE_DIR) / "docs/formats/genesis.md");
    const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t begin = doc.find("```toml\n");
    ASSERT_NE(begin, std::string::npos);
    const size_t end = doc.find("```", begin + 8);
    auto genesis = parse_genesis(doc.substr(begin + 8, end - begin - 8), "genesis.md");
    ASSERT_TRUE(genesis.has_value()) << genesis.error().message;
    EXPECT_EQ(genesis->chain_id, 59330u);
    EXPECT_EQ(genesis->nodes.size(), 2u);
    EXPECT_TRUE(genesis->nodes[0].genesis_committee);
    EXPECT_EQ(genesis->services[1].commodity, CommodityType::compute);
    EXPECT_EQ(genesis->accounts[0].client_keys.size(), 1u);
}

}  // namespace
}  // namespace fleek::ledger
