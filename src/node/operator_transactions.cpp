#include "node/operator_transactions.h"

#include <fmt/format.h>

namespace fleek::node {

Result<ledger::NodePorts, std::string> advertised_ports(const Config& config) {
    const uint32_t pool = config.pool.address.port;
    const uint32_t pool_quic = pool + 100;
    const uint32_t dht = pool + 140;
    if (dht > 65'535) {
        return fail(fmt::format("the pool port {} leaves no room for the QUIC pool and DHT ports (pool + 100 and pool + 140)", pool));
    }
    ledger::NodePorts ports;
    ports.pool = static_cast<uint16_t>(pool);
    ports.pool_quic = static_cast<uint16_t>(pool_quic);
    ports.handshake_http = config.gateway.http_address.port;
    ports.handshake_tcp = config.gateway.tcp_address.port;
    ports.rpc = config.rpc.address.port;
    ports.dht = static_cast<uint16_t>(dht);
    ports.pinger = config.pinger.address.port;
    if (!ports.valid()) {
        return fail(fmt::format("the advertised ports must be non-zero and distinct: pool {}, pool_quic {}, handshake_http {}, "
                                "handshake_tcp {}, rpc {}, dht {}, pinger {}",
                                ports.pool, ports.pool_quic, ports.handshake_http, ports.handshake_tcp, ports.rpc, ports.dht,
                                ports.pinger));
    }
    return ports;
}

Result<std::string, std::string> advertised_domain(const Config& config, const std::optional<std::string>& domain) {
    if (domain) {
        if (!ledger::valid_domain(*domain)) {
            return fail(fmt::format("--domain `{}` is not a host name or address (letters, digits, '-', '.', ':'; at most {} "
                                    "characters)",
                                    *domain, ledger::domain_size_max));
        }
        return *domain;
    }
    std::string host = config.pool.address.host;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty() || host == "0.0.0.0" || host == "::") {
        return fail(fmt::format("the pool listens on all interfaces ({}): pass --domain with the host peers reach this node at",
                                config.pool.address.to_string()));
    }
    if (!ledger::valid_domain(host)) return fail(fmt::format("the pool host `{}` is not a valid domain: pass --domain", host));
    return host;
}

ledger::SignedTransaction make_registration_transaction(const RegistrationRequest& request, const NodeKeys& keys,
                                                        const crypto::AccountSecretKey& owner) {
    ledger::Stake stake;
    stake.amount = request.amount;
    stake.node_key = keys.node.public_key().bytes();
    stake.registration = ledger::make_node_registration(request.chain_id, owner.address().bytes(), keys.node, keys.consensus,
                                                        request.domain, request.ports);
    return ledger::sign_transaction(ledger::Transaction{{}, request.owner_nonce, request.chain_id, std::move(stake)}, owner);
}

ledger::SignedTransaction make_participation_transaction(uint64_t chain_id, uint64_t node_nonce, ParticipationChange change,
                                                         const crypto::NodeSecretKey& node_key) {
    ledger::Method method = change == ParticipationChange::opt_in ? ledger::Method{ledger::OptIn{}} : ledger::Method{ledger::OptOut{}};
    return ledger::sign_transaction(ledger::Transaction{{}, node_nonce, chain_id, std::move(method)}, node_key);
}

}  // namespace fleek::node
