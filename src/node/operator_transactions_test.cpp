// The operator's transactions (fleek-node register, opt in|out) executed by a ledger: the Stake
// registers the node with the ports and domain of its config, OptIn/OptOut change its
// participation, and the ledger refuses what a wrong signer or chain sends.
#include "node/operator_transactions.h"

#include "ledger/ledger.h"
#include "tests/support/files.h"
#include "tests/support/ledger_network.h"

#include <gtest/gtest.h>

namespace fleek::node {
namespace {

class OperatorTransactions : public ::testing::Test {
protected:
    void SetUp() override {
        ledger::LedgerOptions options;
        options.sync_writes = false;
        auto opened = ledger::Ledger::open(dir.path(), net.genesis, options);
        ASSERT_TRUE(opened.has_value()) << opened.error().message;
        ledger = std::move(*opened);
        timestamp_ms = net.genesis.epoch_start_ms;
        config = Config::dev_defaults();
        config.pool.address = {"127.0.0.1", 24000};
        config.gateway.http_address.port = 24020;
        config.gateway.tcp_address.port = 24021;
        config.rpc.address.port = 24030;
        config.pinger.address.port = 24050;
    }

    ledger::TransactionReceipt run(const ledger::SignedTransaction& transaction) {
        timestamp_ms += 1000;
        auto result = ledger->execute(testing::make_block(ledger->height() + 1, timestamp_ms, {transaction.to_bytes()}));
        EXPECT_TRUE(result.has_value());
        if (!result || result->receipts.size() != 1) return {};
        return result->receipts.front();
    }

    RegistrationRequest request(uint64_t owner_nonce, U256 amount) {
        RegistrationRequest out;
        out.chain_id = net.chain_id();
        out.owner_nonce = owner_nonce;
        out.amount = amount;
        out.domain = advertised_domain(config, std::nullopt).value();
        out.ports = advertised_ports(config).value();
        return out;
    }

    testing::TestNetwork net;
    testing::ScratchDirectory dir;
    std::unique_ptr<ledger::Ledger> ledger;
    uint64_t timestamp_ms = 0;
    Config config;
    NodeKeys keys{crypto::NodeSecretKey::generate(), crypto::ConsensusSecretKey::generate()};
};

TEST_F(OperatorTransactions, AdvertisedPortsComeFromTheConfig) {
    const auto ports = advertised_ports(config);
    ASSERT_TRUE(ports.has_value()) << ports.error();
    EXPECT_EQ(ports->pool, 24000);
    EXPECT_EQ(ports->pool_quic, 24100);
    EXPECT_EQ(ports->handshake_http, 24020);
    EXPECT_EQ(ports->handshake_tcp, 24021);
    EXPECT_EQ(ports->rpc, 24030);
    EXPECT_EQ(ports->dht, 24140);
    EXPECT_EQ(ports->pinger, 24050);
    // The defaults advertise the standard ports (brief §5).
    const auto standard = advertised_ports(Config::defaults());
    ASSERT_TRUE(standard.has_value());
    EXPECT_EQ(*standard, ledger::NodePorts{});

    Config clash = config;
    clash.rpc.address.port = 24100;  // the QUIC pool port
    EXPECT_FALSE(advertised_ports(clash).has_value());
    Config high = config;
    high.pool.address.port = 65'500;
    EXPECT_FALSE(advertised_ports(high).has_value());
}

TEST_F(OperatorTransactions, AdvertisedDomainNeedsASpecificHost) {
    EXPECT_EQ(advertised_domain(config, std::nullopt).value(), "127.0.0.1");
    EXPECT_EQ(advertised_domain(config, std::string("node.example.org")).value(), "node.example.org");
    EXPECT_FALSE(advertised_domain(config, std::string("bad domain")).has_value());
    const auto any = advertised_domain(Config::defaults(), std::nullopt);
    ASSERT_FALSE(any.has_value());
    EXPECT_NE(any.error().find("--domain"), std::string::npos) << any.error();
    Config v6 = config;
    v6.pool.address.host = "[::1]";
    EXPECT_EQ(advertised_domain(v6, std::nullopt).value(), "::1");
}

TEST_F(OperatorTransactions, RegistrationRegistersTheNodeAndOptInOutChangeItsParticipation) {
    const auto& owner = net.accounts[0];
    const U256 amount = U256(1500) * ledger::flk_unit();
    const U256 before = ledger->balance(owner.address(), ledger::Token::flk);
    const auto registration = make_registration_transaction(request(1, amount), keys, owner);
    // What the ledger checks before executing: the owner signed it and the proofs hold.
    ASSERT_TRUE(ledger::verify_transaction_signature(registration, registration.transaction.digest()));
    const auto& stake = std::get<ledger::Stake>(registration.transaction.method);
    ASSERT_TRUE(stake.registration.has_value());
    EXPECT_TRUE(ledger::verify_node_registration(net.chain_id(), owner.address().bytes(), stake.node_key, *stake.registration));

    const auto receipt = run(registration);
    ASSERT_EQ(receipt.status, ledger::ReceiptStatus::success) << ledger::to_string(receipt.error);
    const auto index = ledger->node_index(keys.node.public_key());
    ASSERT_TRUE(index.has_value());
    EXPECT_EQ(ledger->node_index(keys.consensus.public_key()), index);
    const auto node = ledger->node(*index).value();
    EXPECT_EQ(node.owner, owner.address().bytes());
    EXPECT_EQ(node.staked, amount);
    EXPECT_EQ(node.domain, "127.0.0.1");
    EXPECT_EQ(node.ports, advertised_ports(config).value());
    EXPECT_EQ(node.participation, ledger::Participation::inactive);
    EXPECT_EQ(ledger->balance(owner.address(), ledger::Token::flk), before - amount);

    // The node signs its own participation changes with its node key and nonces.
    EXPECT_EQ(run(make_participation_transaction(net.chain_id(), 1, ParticipationChange::opt_in, keys.node)).status,
              ledger::ReceiptStatus::success);
    EXPECT_EQ(ledger->node(*index)->participation, ledger::Participation::opted_in);
    EXPECT_EQ(ledger->node(*index)->nonce, 1u);
    EXPECT_EQ(run(make_participation_transaction(net.chain_id(), 2, ParticipationChange::opt_out, keys.node)).status,
              ledger::ReceiptStatus::success);
    EXPECT_EQ(ledger->node(*index)->participation, ledger::Participation::inactive);
    // Opting out again: not participating.
    const auto again = run(make_participation_transaction(net.chain_id(), 3, ParticipationChange::opt_out, keys.node));
    EXPECT_EQ(again.status, ledger::ReceiptStatus::reverted);
    EXPECT_EQ(again.error, ledger::TxError::not_participating);
}

TEST_F(OperatorTransactions, TheLedgerRefusesARegistrationBelowTheMinimumStakeOrForAnotherChain) {
    const auto& owner = net.accounts[1];
    // Another chain's registration proofs do not verify here (signed over its chain id).
    RegistrationRequest other_chain = request(1, U256(2000) * ledger::flk_unit());
    other_chain.chain_id = net.chain_id() + 1;
    const auto foreign = make_registration_transaction(other_chain, keys, owner);
    EXPECT_NE(run(foreign).status, ledger::ReceiptStatus::success);
    EXPECT_FALSE(ledger->node_index(keys.node.public_key()).has_value());

    // A stake below the minimum registers the node, but it cannot opt in.
    const auto small = make_registration_transaction(request(1, U256(10) * ledger::flk_unit()), keys, owner);
    ASSERT_EQ(run(small).status, ledger::ReceiptStatus::success);
    const auto opt_in = run(make_participation_transaction(net.chain_id(), 1, ParticipationChange::opt_in, keys.node));
    EXPECT_EQ(opt_in.status, ledger::ReceiptStatus::reverted);
    EXPECT_EQ(opt_in.error, ledger::TxError::insufficient_stake);

    // A node key that no registered node has cannot send OptIn.
    const auto stranger = crypto::NodeSecretKey::generate();
    EXPECT_NE(run(make_participation_transaction(net.chain_id(), 1, ParticipationChange::opt_in, stranger)).status,
              ledger::ReceiptStatus::success);
}

}  // namespace
}  // namespace fleek::node
