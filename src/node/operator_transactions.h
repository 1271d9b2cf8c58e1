// The transactions an operator sends about its own node (`fleek-node register`, `fleek-node opt
// in|out`): a Stake that registers the node, signed by the owner's account key with the node's
// keys proving the registration, and OptIn / OptOut signed by the node key. Pure builders: the
// caller reads the chain id and nonces from a node (JSON-RPC) and submits the result.
#pragma once

#include "ledger/transaction.h"
#include "node/config.h"
#include "node/keystore.h"
#include "util/result.h"

#include <optional>
#include <string>

namespace fleek::node {

// What the node advertises in its registration: the pool, gateway (handshake HTTP and TCP),
// JSON-RPC and pinger ports of its configuration; the QUIC pool and DHT ports, which have no
// listener yet, at the default distances from the pool port (+100 and +140: 4300 and 4340 for
// the default 4200). An error when they fall outside the port range or two coincide.
Result<ledger::NodePorts, std::string> advertised_ports(const Config& config);

// The host peers reach the node at: `domain` if given, else the pool's listening host when it is
// a specific address (not 0.0.0.0 or ::). An error names what to pass instead.
Result<std::string, std::string> advertised_domain(const Config& config, const std::optional<std::string>& domain);

struct RegistrationRequest {
    uint64_t chain_id = 0;
    uint64_t owner_nonce = 0;  // the owner account's next nonce (its current nonce + 1)
    U256 amount = 0;           // FLK base units to stake
    std::string domain;
    ledger::NodePorts ports;
};

// A Stake of `amount` to this node's key with a NodeRegistration whose digest both node keys
// sign, signed by `owner` (the account that owns the node and pays the stake).
ledger::SignedTransaction make_registration_transaction(const RegistrationRequest& request, const NodeKeys& keys,
                                                        const crypto::AccountSecretKey& owner);

enum class ParticipationChange { opt_in, opt_out };

// OptIn or OptOut signed with the node key; `node_nonce` is the node's next nonce.
ledger::SignedTransaction make_participation_transaction(uint64_t chain_id, uint64_t node_nonce, ParticipationChange change,
                                                         const crypto::NodeSecretKey& node_key);

}  // namespace fleek::node
