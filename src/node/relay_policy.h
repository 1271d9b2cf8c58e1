// What a node checks before it relays or acts on what peers send it (src/node/README.md
// §Runtime, "Relay"): pure decisions over decoded messages and the committee the ledger knows,
// so each rule is tested without a network.
//
//   - A gossiped certified block is relayed only when its certificate names the block and
//     verifies against the committee of its epoch as the ledger records it. A block of an epoch
//     whose committee this node does not know yet cannot be checked: it is neither relayed nor
//     kept (block sync fetches it once this node has caught up).
//   - A gossiped block signature is relayed only when its signer is a member of the committee of
//     its epoch and the BLS signature verifies over the block statement.
//   - A transaction forwarded by a peer reaches this node's worker only when it fits the size
//     limit, decodes canonically, names this network's chain id and its signature verifies for
//     its sender. (Nonce and sender registration are the ledger's to judge at execution; the
//     signature is what a peer could otherwise forge at no cost.)
#pragma once

#include "ledger/ledger.h"
#include "ledger/transaction.h"
#include "node/chain_block.h"
#include "rpc/backend.h"
#include "util/result.h"

#include <cstdint>
#include <vector>

namespace fleek::node {

enum class GossipBlockAction : uint8_t {
    refuse,           // the certificate does not name the block or does not verify: drop, do not relay
    add_certificate,  // a height this node executed: store the certificate if missing; relay
    execute,          // the next height: execute it; relay
    relay_only,       // a verified block further ahead: relay; block sync fetches what lies between
};
std::string_view to_string(GossipBlockAction action) noexcept;

// `committee` is the ledger's committee of the certificate's epoch (committee_members(epoch)),
// empty when the ledger does not know it.
GossipBlockAction classify_gossip_block(const CertifiedBlock& block, uint64_t our_height,
                                        const std::vector<ledger::CommitteeMember>& committee);

// True when `signature` is by a member of `committee` (the ledger's committee of signature.epoch;
// empty when unknown) and verifies over the block statement it names.
bool verify_block_signature(const BlockSignature& signature, const std::vector<ledger::CommitteeMember>& committee);

// The stateless checks on a transaction a peer forwards: size, canonical decoding, chain id,
// signature. Errors are SubmitError's malformed, too_large, wrong_chain and bad_signature.
Result<ledger::SignedTransaction, rpc::SubmitError> check_forwarded_transaction(ByteSpan transaction, uint64_t chain_id);

}  // namespace fleek::node
