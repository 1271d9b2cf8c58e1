#include "ledger/executor.h"

#include "ledger/epoch.h"
#include "ledger/typed_state.h"
#include "ledger/unlocks.h"

#include <algorithm>
#include <map>
#include <set>
#include <span>

namespace fleek::ledger {

namespace {

using Outcome = Result<TxOutput, TxError>;

constexpr U256 million() { return U256(1'000'000); }

void insert_sorted(std::vector<NodeIndex>& list, NodeIndex index) {
    list.insert(std::lower_bound(list.begin(), list.end(), index), index);
}
bool contains_sorted(const std::vector<NodeIndex>& list, NodeIndex index) {
    return std::binary_search(list.begin(), list.end(), index);
}

// Who sent the transaction, resolved against the state.
struct SenderInfo {
    bool is_account = false;
    AddressBytes address{};  // account senders
    NodeIndex node = 0;      // node and consensus-key senders
};

class Execution {
public:
    Execution(TypedState& state, const BlockContext& context, ExecutionEffects& effects, const SenderInfo& who)
        : s(state), ctx(context), fx(effects), sender(who) {}

    Outcome operator()(const Transfer& m) {
        if (!sender.is_account) return fail(TxError::only_account);
        if (m.amount == 0) return fail(TxError::zero_amount);
        if (m.to == sender.address) return fail(TxError::self_transfer);
        AccountInfo from = s.account(sender.address);
        if (from.balance(m.token) < m.amount) return fail(TxError::insufficient_balance);
        AccountInfo to = s.account(m.to);
        auto credited = checked_add(to.balance(m.token), m.amount);
        if (!credited) return fail(TxError::amount_overflow);
        from.balance(m.token) -= m.amount;
        to.balance(m.token) = *credited;
        s.set_account(sender.address, from);
        s.set_account(m.to, to);
        return NoOutput{};
    }

    Outcome operator()(const Withdraw& m) {
        if (!sender.is_account) return fail(TxError::only_account);
        if (m.token == Token::bandwidth) return fail(TxError::invalid_token);
        if (m.amount == 0) return fail(TxError::zero_amount);
        AccountInfo from = s.account(sender.address);
        if (from.balance(m.token) < m.amount) return fail(TxError::insufficient_balance);
        from.balance(m.token) -= m.amount;
        s.set_account(sender.address, from);
        ChainInfo chain = s.chain();
        U256& supply = m.token == Token::flk ? chain.flk_supply : chain.stables_supply;
        supply -= m.amount;  // the supply holds every balance, so it is at least this one
        const uint64_t id = chain.next_withdraw_id++;
        s.set_chain(chain);
        s.put(tables::withdraw(id), WithdrawRecord{chain.epoch, sender.address, m.token, m.receiver, m.amount});
        return WithdrawOutput{id};
    }

    Outcome operator()(const Mint& m) {
        if (!sender.is_account) return fail(TxError::only_account);
        ChainInfo chain = s.chain();
        if (sender.address != chain.governance) return fail(TxError::only_governance);
        if (m.token == Token::bandwidth) return fail(TxError::invalid_token);
        if (m.amount == 0) return fail(TxError::zero_amount);
        if (s.exists(tables::mint(m.bridge_tx))) return fail(TxError::already_minted);
        U256& supply = m.token == Token::flk ? chain.flk_supply : chain.stables_supply;
        auto new_supply = checked_add(supply, m.amount);
        if (!new_supply) return fail(TxError::amount_overflow);
        supply = *new_supply;
        AccountInfo to = s.account(m.receiver);
        to.balance(m.token) += m.amount;  // below the supply, which did not overflow
        s.set_account(m.receiver, to);
        s.set_chain(chain);
        s.put(tables::mint(m.bridge_tx), MintRecord{m.receiver, m.token, m.amount, ctx.height});
        return NoOutput{};
    }

    Outcome operator()(const Stake& m) {
        if (!sender.is_account) return fail(TxError::only_account);
        if (m.amount == 0) return fail(TxError::zero_amount);
        AccountInfo owner = s.account(sender.address);
        if (owner.flk < m.amount) return fail(TxError::insufficient_balance);
        ChainInfo chain = s.chain();
        if (auto existing = s.get_u32_be(tables::node_key_index(m.node_key))) {
            if (m.registration) return fail(TxError::node_key_already_registered);
            auto node = s.node(*existing);
            if (!node) return fail(TxError::node_not_found);
            if (node->owner != sender.address) return fail(TxError::not_node_owner);
            node->staked += m.amount;
            owner.flk -= m.amount;
            s.set_node(*existing, *node);
            s.set_account(sender.address, owner);
            return NodeIndexOutput{*existing};
        }
        if (!m.registration) return fail(TxError::missing_registration);
        const NodeRegistration& r = *m.registration;
        if (!valid_domain(r.domain)) return fail(TxError::invalid_domain);
        if (!r.ports.valid()) return fail(TxError::invalid_ports);
        if (s.exists(tables::consensus_key_index(r.consensus_key))) return fail(TxError::consensus_key_already_registered);
        if (auto verified = verify_node_registration(chain.chain_id, sender.address, m.node_key, r); !verified) {
            return fail(verified.error());
        }
        const NodeIndex index = chain.next_node_index++;
        NodeInfo node;
        node.owner = sender.address;
        node.node_key = m.node_key;
        node.consensus_key = r.consensus_key;
        node.domain = r.domain;
        node.ports = r.ports;
        node.staked = m.amount;
        node.staked_since = chain.epoch;
        node.participation = Participation::inactive;
        owner.flk -= m.amount;
        s.set_node(index, node);
        s.put_u32_be(tables::node_key_index(m.node_key), index);
        s.put_u32_be(tables::consensus_key_index(r.consensus_key), index);
        s.set_account(sender.address, owner);
        s.set_chain(chain);
        return NodeIndexOutput{index};
    }

    // The node `index` owned by the account sender.
    Result<NodeInfo, TxError> owned_node(NodeIndex index) {
        if (!sender.is_account) return fail(TxError::only_account);
        auto node = s.node(index);
        if (!node) return fail(TxError::node_not_found);
        if (node->owner != sender.address) return fail(TxError::not_node_owner);
        return std::move(*node);
    }

    Outcome operator()(const StakeLock& m) {
        auto node = owned_node(m.node);
        if (!node) return fail(node.error());
        if (node->staked == 0) return fail(TxError::no_stake);
        if (m.locked_for_epochs == 0) return fail(TxError::zero_amount);
        const Epoch epoch = s.chain().epoch;
        const ProtocolParams params = s.params();
        const uint64_t remaining = node->stake_locked_until > epoch ? node->stake_locked_until - epoch : 0;
        if (m.locked_for_epochs > params.max_stake_lock_time_epochs ||
            remaining > params.max_stake_lock_time_epochs - m.locked_for_epochs) {
            return fail(TxError::lock_exceeds_max);
        }
        node->stake_locked_until = epoch + remaining + m.locked_for_epochs;
        s.set_node(m.node, *node);
        return NoOutput{};
    }

    Outcome operator()(const Unstake& m) {
        auto node = owned_node(m.node);
        if (!node) return fail(node.error());
        if (m.amount == 0) return fail(TxError::zero_amount);
        if (node->staked < m.amount) return fail(TxError::insufficient_stake);
        const Epoch epoch = s.chain().epoch;
        if (node->stake_locked_until > epoch) return fail(TxError::stake_locked);
        const ProtocolParams params = s.params();
        // Only this amount is locked; what earlier Unstakes locked keeps its own unlock epoch.
        // A lock time past the last u64 epoch saturates (never matures).
        const Epoch until = epoch > UINT64_MAX - params.lock_time_epochs ? UINT64_MAX : epoch + params.lock_time_epochs;
        node->staked -= m.amount;
        if (!add_unlock(s, m.node, *node, until, m.amount)) return fail(TxError::too_many_unlocks);
        if (node->staked < params.min_stake) {
            if (node->participation == Participation::active) node->participation = Participation::opted_out;
            if (node->participation == Participation::opted_in) node->participation = Participation::inactive;
        }
        s.set_node(m.node, *node);
        return NoOutput{};
    }

    Outcome operator()(const WithdrawUnstaked& m) {
        auto node = owned_node(m.node);
        if (!node) return fail(node.error());
        if (node->locked == 0) return fail(TxError::no_locked_tokens);
        // Pays every amount whose unlock epoch has come; later ones stay locked.
        const U256 matured = take_matured(s, m.node, *node, s.chain().epoch);
        if (matured == 0) return fail(TxError::locked_tokens_not_matured);
        const AddressBytes recipient = m.recipient.value_or(node->owner);
        AccountInfo to = s.account(recipient);
        to.flk += matured;  // below the supply, which holds it
        s.set_account(recipient, to);
        s.set_node(m.node, *node);
        return NoOutput{};
    }

    Result<NodeInfo, TxError> sender_node() {
        if (sender.is_account) return fail(TxError::only_node);
        auto node = s.node(sender.node);
        if (!node) return fail(TxError::node_not_found);
        return std::move(*node);
    }

    Outcome operator()(const OptIn&) {
        auto node = sender_node();
        if (!node) return fail(node.error());
        if (node->staked < s.params().min_stake) return fail(TxError::insufficient_stake);
        if (node->participation == Participation::inactive) node->participation = Participation::opted_in;
        if (node->participation == Participation::opted_out) node->participation = Participation::active;
        s.set_node(sender.node, *node);
        return NoOutput{};
    }

    Outcome operator()(const OptOut&) {
        auto node = sender_node();
        if (!node) return fail(node.error());
        if (node->participation == Participation::inactive) return fail(TxError::not_participating);
        if (node->participation == Participation::active) node->participation = Participation::opted_out;
        if (node->participation == Participation::opted_in) node->participation = Participation::inactive;
        s.set_node(sender.node, *node);
        return NoOutput{};
    }

    Outcome operator()(const ApproveClientKey& m) {
        if (!sender.is_account) return fail(TxError::only_account);
        if (!crypto::ClientPublicKey::from_bytes(m.key)) return fail(TxError::invalid_client_key);
        if (s.exists(tables::client_key(m.key))) return fail(TxError::client_key_already_approved);
        AccountInfo account = s.account(sender.address);
        if (account.client_keys.size() >= client_keys_per_account_max) return fail(TxError::too_many_client_keys);
        account.client_keys.insert(std::lower_bound(account.client_keys.begin(), account.client_keys.end(), m.key), m.key);
        s.set_account(sender.address, account);
        s.view().put(tables::client_key(m.key), Bytes(sender.address.begin(), sender.address.end()));
        return NoOutput{};
    }

    Outcome operator()(const RevokeClientKey& m) {
        if (!sender.is_account) return fail(TxError::only_account);
        auto owner = s.view().get(tables::client_key(m.key));
        if (!owner || !std::equal(owner->begin(), owner->end(), sender.address.begin(), sender.address.end())) {
            return fail(TxError::client_key_not_approved);
        }
        AccountInfo account = s.account(sender.address);
        std::erase(account.client_keys, m.key);
        s.set_account(sender.address, account);
        s.erase(tables::client_key(m.key));
        return NoOutput{};
    }

    // A committee member of the current epoch (node senders only).
    struct Member {
        NodeInfo node;
        ChainInfo chain;
        ProtocolParams params;
        CommitteeInfo committee;
    };
    Result<Member, TxError> committee_member(Epoch epoch, bool require_participation) {
        auto node = sender_node();
        if (!node) return fail(node.error());
        Member member{std::move(*node), s.chain(), s.params(), {}};
        if (epoch != member.chain.epoch) return fail(TxError::wrong_epoch);
        auto committee = s.committee(member.chain.epoch);
        if (!committee) return fail(TxError::not_committee_member);
        member.committee = std::move(*committee);
        if (!member.committee.is_member(sender.node)) return fail(TxError::not_committee_member);
        if (require_participation && !is_participating(member.node, member.params)) return fail(TxError::not_participating);
        return member;
    }

    Outcome operator()(const ChangeEpoch& m) {
        auto member = committee_member(m.epoch, true);
        if (!member) return fail(member.error());
        CommitteeInfo& committee = member->committee;
        const ProtocolParams& params = member->params;
        const uint64_t transition_ms = committee.end_ms - std::min(committee.end_ms, params.beacon_commit_phase_ms + params.beacon_reveal_phase_ms);
        if (ctx.timestamp_ms < transition_ms) return fail(TxError::epoch_not_ended);
        if (contains_sorted(committee.ready_to_change, sender.node)) return fail(TxError::already_signaled);
        insert_sorted(committee.ready_to_change, sender.node);
        if (committee.phase.kind == BeaconPhaseKind::none && committee.ready_to_change.size() >= committee.quorum()) {
            committee.phase = BeaconPhase{BeaconPhaseKind::commit, 0, ctx.timestamp_ms};
        }
        s.set_committee(member->chain.epoch, committee);
        return NoOutput{};
    }

    Outcome operator()(const BeaconCommit& m) {
        auto member = committee_member(m.epoch, true);
        if (!member) return fail(member.error());
        const BeaconPhase& phase = member->committee.phase;
        if (phase.kind != BeaconPhaseKind::commit) return fail(TxError::beacon_wrong_phase);
        if (m.round != phase.round) return fail(TxError::beacon_wrong_round);
        if (s.exists(tables::non_revealer(sender.node))) return fail(TxError::beacon_non_revealer);
        auto entry = s.get<BeaconEntry>(tables::beacon(sender.node));
        if (entry && entry->round == m.round) return fail(TxError::beacon_already_committed);
        s.put(tables::beacon(sender.node), BeaconEntry{m.round, m.commitment, std::nullopt});
        return NoOutput{};
    }

    Outcome operator()(const BeaconReveal& m) {
        auto member = committee_member(m.epoch, true);
        if (!member) return fail(member.error());
        const BeaconPhase& phase = member->committee.phase;
        if (phase.kind != BeaconPhaseKind::reveal) return fail(TxError::beacon_wrong_phase);
        if (m.round != phase.round) return fail(TxError::beacon_wrong_round);
        auto entry = s.get<BeaconEntry>(tables::beacon(sender.node));
        if (!entry || entry->round != m.round) return fail(TxError::beacon_not_committed);
        if (entry->reveal) return fail(TxError::beacon_already_revealed);
        if (beacon_commitment(m.epoch, m.round, sender.node, m.reveal) != entry->commit) {
            return fail(TxError::beacon_invalid_reveal);
        }
        entry->reveal = m.reveal;
        s.put(tables::beacon(sender.node), *entry);
        return NoOutput{};
    }

    // The beacon entries of `round`, by node.
    std::vector<std::pair<NodeIndex, BeaconEntry>> round_entries(uint64_t round) {
        std::vector<std::pair<NodeIndex, BeaconEntry>> out;
        s.view().scan(tables::prefix(tables::Table::beacon), [&](ByteSpan key, ByteSpan value) {
            auto entry = codec::decode<BeaconEntry>(value);
            if (key.size() != 5 || !entry) {
                s.view().mark_failed();
                return false;
            }
            if (entry->round == round) out.emplace_back(tables::read_u32_be(key, 1), *entry);
            return true;
        });
        return out;
    }

    void start_commit_round(CommitteeInfo& committee, uint64_t round) {
        committee.phase = BeaconPhase{BeaconPhaseKind::commit, round, ctx.timestamp_ms};
        committee.commit_timeout_signals.clear();
        committee.reveal_timeout_signals.clear();
        std::vector<Bytes> keys;
        s.view().scan(tables::prefix(tables::Table::beacon), [&](ByteSpan key, ByteSpan) {
            keys.emplace_back(key.begin(), key.end());
            return true;
        });
        for (const Bytes& key : keys) s.erase(key);
    }

    Outcome operator()(const BeaconCommitTimeout& m) {
        auto member = committee_member(m.epoch, false);
        if (!member) return fail(member.error());
        CommitteeInfo& committee = member->committee;
        if (committee.phase.kind != BeaconPhaseKind::commit) return fail(TxError::beacon_wrong_phase);
        if (m.round != committee.phase.round) return fail(TxError::beacon_wrong_round);
        if (ctx.timestamp_ms < committee.phase.start_ms + member->params.beacon_commit_phase_ms) {
            return fail(TxError::phase_not_expired);
        }
        if (contains_sorted(committee.commit_timeout_signals, sender.node)) return fail(TxError::already_signaled);
        insert_sorted(committee.commit_timeout_signals, sender.node);
        if (committee.commit_timeout_signals.size() >= committee.quorum()) {
            // Enough commitments among the members still allowed to commit: reveal; else retry.
            size_t eligible = 0;
            for (const NodeIndex index : committee.members) {
                if (!s.exists(tables::non_revealer(index))) ++eligible;
            }
            if (eligible == 0) {
                // Every member failed to reveal before: no beacon is possible this epoch. The
                // seed mixes the previous seed with the state before this block and this block,
                // which nobody knows before the block exists (ledger-state.md §Beacon fallback).
                const Hash32 seed = beacon_fallback_seed(m.epoch, m.round, committee.beacon_seed, ctx.parent_state_root,
                                                         ctx.block_digest);
                s.set_committee(member->chain.epoch, committee);
                change_epoch(s, seed, ctx.timestamp_ms);
                fx.epoch_changed = true;
                fx.committee_changed = true;
                return EpochChangeOutput{m.epoch + 1};
            }
            const size_t committers = round_entries(m.round).size();
            if (committers > 0 && committers >= quorum_weight(eligible)) {
                committee.phase = BeaconPhase{BeaconPhaseKind::reveal, m.round, ctx.timestamp_ms};
                committee.commit_timeout_signals.clear();
            } else {
                start_commit_round(committee, m.round + 1);
            }
        }
        s.set_committee(member->chain.epoch, committee);
        return NoOutput{};
    }

    Outcome operator()(const BeaconRevealTimeout& m) {
        auto member = committee_member(m.epoch, false);
        if (!member) return fail(member.error());
        CommitteeInfo& committee = member->committee;
        if (committee.phase.kind != BeaconPhaseKind::reveal) return fail(TxError::beacon_wrong_phase);
        if (m.round != committee.phase.round) return fail(TxError::beacon_wrong_round);
        if (ctx.timestamp_ms < committee.phase.start_ms + member->params.beacon_reveal_phase_ms) {
            return fail(TxError::phase_not_expired);
        }
        if (contains_sorted(committee.reveal_timeout_signals, sender.node)) return fail(TxError::already_signaled);
        insert_sorted(committee.reveal_timeout_signals, sender.node);
        if (committee.reveal_timeout_signals.size() < committee.quorum()) {
            s.set_committee(member->chain.epoch, committee);
            return NoOutput{};
        }
        const auto entries = round_entries(m.round);
        std::vector<NodeIndex> non_revealers;
        std::vector<RevealedValue> reveals;
        for (const auto& [index, entry] : entries) {
            if (entry.reveal) {
                reveals.push_back(RevealedValue{index, *entry.reveal});
            } else {
                non_revealers.push_back(index);
            }
        }
        if (non_revealers.empty()) {
            s.set_committee(member->chain.epoch, committee);
            change_epoch(s, beacon_output(m.epoch, m.round, reveals), ctx.timestamp_ms);
            fx.epoch_changed = true;
            fx.committee_changed = true;
            return EpochChangeOutput{m.epoch + 1};
        }
        // Committed and did not reveal: slashed, barred from this epoch's beacon, new round.
        start_commit_round(committee, m.round + 1);
        s.set_committee(member->chain.epoch, committee);
        for (const NodeIndex index : non_revealers) {
            s.put_u64(tables::non_revealer(index), m.round);
            penalize_node(s, index, member->params.non_reveal_slash_amount, fx.committee_changed);
        }
        return NoOutput{};
    }

    Outcome operator()(const SubmitReputationMeasurements& m) {
        auto node = sender_node();
        if (!node) return fail(node.error());
        const ProtocolParams params = s.params();
        if (!is_participating(*node, params)) return fail(TxError::not_participating);
        if (m.reports.empty()) return fail(TxError::empty_batch);
        if (m.reports.size() > measurements_per_tx_max) return fail(TxError::batch_too_large);
        const Bytes count_key = tables::measurement_count(sender.node);
        const auto submitted = s.view().get(count_key);
        const uint8_t count = submitted && submitted->size() == 1 ? (*submitted)[0] : 0;
        if (count >= params.max_measurement_submissions) return fail(TxError::too_many_submissions);
        for (size_t i = 0; i < m.reports.size(); ++i) {
            const ReputationReport& report = m.reports[i];
            if (i > 0 && report.peer <= m.reports[i - 1].peer) return fail(TxError::invalid_measurement);
            if (report.peer == sender.node) return fail(TxError::invalid_measurement);
            if (!report.measurements.within_bounds() || report.measurements.empty()) {
                return fail(TxError::invalid_measurement);
            }
            if (!s.exists(tables::node(report.peer))) return fail(TxError::unknown_peer);
        }
        for (const ReputationReport& report : m.reports) {
            s.put(tables::measurement(report.peer, sender.node), report.measurements);
        }
        s.view().put(count_key, Bytes{static_cast<uint8_t>(count + 1)});
        return NoOutput{};
    }

    // The envelope (sender, batch size) fails the transaction; each receipt gets its own
    // result, and a bad one counts zero without touching the others (delivery-receipts.md).
    Outcome operator()(const SubmitDeliveryAcknowledgments& m) {
        auto node = sender_node();
        if (!node) return fail(node.error());
        const ProtocolParams params = s.params();
        if (!is_participating(*node, params)) return fail(TxError::not_participating);
        if (m.receipts.empty()) return fail(TxError::empty_batch);
        if (m.receipts.size() > delivery_receipts_per_tx_max) return fail(TxError::batch_too_large);
        const ChainInfo chain = s.chain();
        DeliveryOutput output;
        output.results.resize(m.receipts.size());
        // Cheap checks of every receipt first, then the signatures of those that passed.
        std::map<ServiceId, Service> services;
        for (size_t i = 0; i < m.receipts.size(); ++i) {
            output.results[i].status = precheck_receipt(m.receipts[i], chain, node->node_key, services);
        }
        check_receipt_signatures(m.receipts, output.results);
        NodeServed served = s.get<NodeServed>(tables::node_served(chain.epoch, sender.node)).value_or(NodeServed{});
        EpochTotals totals = s.get<EpochTotals>(tables::epoch_totals(chain.epoch)).value_or(EpochTotals{});
        std::map<ServiceId, U256> revenue;
        size_t receipts_counted = 0;  // receipts that added units (status counted)
        for (size_t i = 0; i < m.receipts.size(); ++i) {
            if (output.results[i].status != DeliveryReceiptStatus::counted) continue;
            const SignedDeliveryReceipt& signed_receipt = m.receipts[i];
            const DeliveryReceipt& r = signed_receipt.receipt;
            const Service& service = services.at(r.service);
            const Bytes session_key = tables::session(r.epoch, signed_receipt.client_key, r.session_id);
            SessionClaim claim = s.get<SessionClaim>(session_key).value_or(SessionClaim{sender.node, r.service, 0, 0, 0});
            DeliveryReceiptStatus& status = output.results[i].status;
            if (claim.node != sender.node || claim.service != r.service) {
                status = DeliveryReceiptStatus::session_mismatch;
                continue;
            }
            if (r.amount <= claim.claimed) {  // nothing new in this receipt
                status = DeliveryReceiptStatus::already_claimed;
                continue;
            }
            const uint64_t units = r.amount - claim.claimed;
            // Cost of the cumulative amount, so rounding never adds up over many claims; exact
            // (512-bit product), and a cost beyond 256 bits counts this receipt zero.
            const auto cumulative = checked_mul_div(U256(r.amount), service.price_per_million_units, million());
            if (!cumulative) {
                status = DeliveryReceiptStatus::amount_overflow;
                continue;
            }
            // claimed < amount, so this quotient is at most the one above and fits.
            const U256 due = *cumulative - *checked_mul_div(U256(claim.claimed), service.price_per_million_units, million());
            auto owner_bytes = s.view().get(tables::client_key(signed_receipt.client_key));
            if (!owner_bytes || owner_bytes->size() != 20) {
                status = DeliveryReceiptStatus::client_key_not_approved;
                continue;
            }
            AddressBytes owner{};
            std::copy_n(owner_bytes->begin(), 20, owner.begin());
            AccountInfo client = s.account(owner);
            const U256 paid = std::min(due, client.stables);
            const U256 shortfall = due - paid;
            client.stables -= paid;
            s.set_account(owner, client);
            claim.claimed = r.amount;
            claim.paid += paid;
            claim.shortfall += shortfall;
            s.put(session_key, claim);
            served.served(service.commodity) += units;
            served.revenue += paid;
            served.shortfall += shortfall;
            totals.served(service.commodity) += units;
            totals.reward_pool += paid;
            totals.shortfall += shortfall;
            revenue[r.service] += paid;
            ++receipts_counted;
            output.units += units;
            output.paid += paid;
            output.shortfall += shortfall;
        }
        // Nothing counted: the state is left as it was. (Not `output.units == 0`: that sum of
        // u64 amounts can wrap to 0 while receipts counted.)
        if (receipts_counted == 0) return output;
        s.put(tables::node_served(chain.epoch, sender.node), served);
        s.put(tables::epoch_totals(chain.epoch), totals);
        for (const auto& [service_id, amount] : revenue) {
            const Bytes key = tables::service_revenue(chain.epoch, service_id);
            s.put_u256(key, s.get_u256(key).value_or(0) + amount);
        }
        return output;
    }

    // The checks of one receipt that need no signature; `services` caches the services read.
    DeliveryReceiptStatus precheck_receipt(const SignedDeliveryReceipt& signed_receipt, const ChainInfo& chain,
                                           const NodeKeyBytes& node_key, std::map<ServiceId, Service>& services) {
        const DeliveryReceipt& r = signed_receipt.receipt;
        if (r.chain_id != chain.chain_id) return DeliveryReceiptStatus::wrong_chain;
        if (r.node != node_key) return DeliveryReceiptStatus::wrong_node;
        if (r.epoch != chain.epoch && !(chain.epoch > 0 && r.epoch == chain.epoch - 1)) {
            return DeliveryReceiptStatus::wrong_epoch;
        }
        if (!services.contains(r.service)) {
            auto service = s.get<Service>(tables::service(r.service));
            if (!service) return DeliveryReceiptStatus::unknown_service;
            services.emplace(r.service, *service);
        }
        if (!s.exists(tables::client_key(signed_receipt.client_key))) return DeliveryReceiptStatus::client_key_not_approved;
        return DeliveryReceiptStatus::counted;
    }

    // Verifies the signatures of the receipts still `counted` with the batch function; when the
    // batch fails it resumes after the failing receipt, so each signature is checked once and a
    // bad one marks only its own receipt.
    static void check_receipt_signatures(const std::vector<SignedDeliveryReceipt>& receipts,
                                         std::vector<DeliveryReceiptResult>& results) {
        std::vector<SignedDeliveryReceipt> candidates;
        std::vector<size_t> positions;
        for (size_t i = 0; i < receipts.size(); ++i) {
            if (results[i].status != DeliveryReceiptStatus::counted) continue;
            candidates.push_back(receipts[i]);
            positions.push_back(i);
        }
        size_t next = 0;
        while (next < candidates.size()) {
            const auto bad = verify_delivery_receipts(std::span(candidates).subspan(next));
            if (!bad) break;
            results[positions[next + *bad]].status = DeliveryReceiptStatus::bad_signature;
            next += *bad + 1;
        }
    }

    Outcome operator()(const UpdateContentRegistry& m) {
        auto node = sender_node();
        if (!node) return fail(node.error());
        if (!is_participating(*node, s.params())) return fail(TxError::not_participating);
        if (m.updates.empty()) return fail(TxError::empty_batch);
        if (m.updates.size() > content_updates_per_tx_max) return fail(TxError::batch_too_large);
        std::set<Hash32> seen;
        for (const ContentUpdate& update : m.updates) {
            if (!seen.insert(update.content).second) return fail(TxError::duplicate_content_update);
            const bool registered = s.exists(tables::content_by_node(sender.node, update.content));
            if (update.remove && !registered) return fail(TxError::content_not_registered);
            if (!update.remove && registered) return fail(TxError::content_already_registered);
        }
        for (const ContentUpdate& update : m.updates) {
            if (update.remove) {
                s.erase(tables::content_by_node(sender.node, update.content));
                s.erase(tables::content_by_hash(update.content, sender.node));
            } else {
                s.view().put(tables::content_by_node(sender.node, update.content), Bytes{});
                s.view().put(tables::content_by_hash(update.content, sender.node), Bytes{});
            }
        }
        return NoOutput{};
    }

    Result<ChainInfo, TxError> governance() {
        if (!sender.is_account) return fail(TxError::only_account);
        ChainInfo chain = s.chain();
        if (sender.address != chain.governance) return fail(TxError::only_governance);
        return chain;
    }

    Outcome operator()(const AddService& m) {
        if (auto g = governance(); !g) return fail(g.error());
        if (s.exists(tables::service(m.service_id))) return fail(TxError::service_exists);
        if (m.price_per_million_units == 0) return fail(TxError::invalid_price);
        s.put(tables::service(m.service_id), Service{m.owner, m.commodity, m.price_per_million_units});
        return NoOutput{};
    }

    Outcome operator()(const RemoveService& m) {
        if (!sender.is_account) return fail(TxError::only_account);
        auto service = s.get<Service>(tables::service(m.service_id));
        if (!service) return fail(TxError::service_not_found);
        if (sender.address != service->owner && sender.address != s.chain().governance) {
            return fail(TxError::not_service_owner);
        }
        s.erase(tables::service(m.service_id));
        return NoOutput{};
    }

    Outcome operator()(const ChangeProtocolParam& m) {
        if (auto g = governance(); !g) return fail(g.error());
        ProtocolParams params = s.params();
        if (!params.set(m.param, m.value)) return fail(TxError::invalid_param_value);
        s.set_params(params);
        return NoOutput{};
    }

    Outcome operator()(const Slash& m) {
        auto node = s.node(m.node);
        if (!node) return fail(TxError::node_not_found);
        const ChainInfo chain = s.chain();
        const ConsensusStatement& statement = m.first.statement;
        if (statement.epoch > chain.epoch || m.second.statement.epoch > chain.epoch) {
            return fail(TxError::evidence_from_future_epoch);
        }
        // Slash records of older epochs are pruned: their evidence could be used twice.
        if (statement.epoch < chain.oldest_record_epoch || m.second.statement.epoch < chain.oldest_record_epoch) {
            return fail(TxError::evidence_expired);
        }
        // One penalty per node and consensus slot, however many conflicting pairs exist.
        codec::Writer slot;
        slot.u32(m.node);
        slot.tag(static_cast<uint8_t>(statement.kind));
        slot.u64(statement.epoch);
        slot.u64(statement.round);
        slot.fixed(statement.origin);
        const Hash32 evidence_id = crypto::object_digest("slash-evidence", slot.view());
        const Bytes record_key = tables::slash(statement.epoch, evidence_id);
        if (s.exists(record_key)) return fail(TxError::evidence_already_used);
        auto key = crypto::ConsensusPublicKey::from_bytes(node->consensus_key);
        if (!key) return fail(TxError::evidence_bad_signature);
        if (auto checked = check_equivocation(*key, m.first, m.second); !checked) {
            switch (checked.error()) {
                case EvidenceError::invalid_signature_encoding: return fail(TxError::evidence_invalid_signature_encoding);
                case EvidenceError::bad_signature: return fail(TxError::evidence_bad_signature);
                case EvidenceError::not_conflicting: return fail(TxError::evidence_not_conflicting);
                case EvidenceError::wrong_signer: return fail(TxError::evidence_wrong_signer);
            }
            return fail(TxError::evidence_bad_signature);
        }
        const ProtocolParams params = s.params();
        // Exact: staked + locked is part of the supply and bps ≤ 10,000, so the share fits.
        const U256 amount = *checked_mul_div(node->staked + node->locked, params.equivocation_slash_bps, 10'000);
        const U256 taken = penalize_node(s, m.node, amount, fx.committee_changed);
        s.put(record_key, SlashRecord{m.node, taken, ctx.height});
        return SlashOutput{taken};
    }

    Outcome operator()(const IncrementNonce&) { return NoOutput{}; }

    Outcome operator()(const UpdateNodeInfo& m) {
        auto node = s.node(m.node);
        if (!node) return fail(TxError::node_not_found);
        const bool allowed = sender.is_account ? node->owner == sender.address : sender.node == m.node;
        if (!allowed) return fail(TxError::not_node_owner);
        if (!valid_domain(m.domain)) return fail(TxError::invalid_domain);
        if (!m.ports.valid()) return fail(TxError::invalid_ports);
        node->domain = m.domain;
        node->ports = m.ports;
        s.set_node(m.node, *node);
        return NoOutput{};
    }

private:
    TypedState& s;
    const BlockContext& ctx;
    ExecutionEffects& fx;
    const SenderInfo& sender;
};

TransactionReceipt rejected(const Hash32& digest, TxError error) {
    return TransactionReceipt{digest, ReceiptStatus::rejected, error, NoOutput{}};
}

}  // namespace

TransactionReceipt Executor::execute(ByteSpan transaction_bytes) {
    if (transaction_bytes.size() > transaction_size_max) {
        return rejected(crypto::blake3(transaction_bytes), TxError::too_large);
    }
    auto decoded = codec::decode<SignedTransaction>(transaction_bytes);
    if (!decoded) return rejected(crypto::blake3(transaction_bytes), TxError::malformed);
    return execute(*decoded, decoded->transaction.digest());
}

TransactionReceipt Executor::execute(const SignedTransaction& signed_transaction, const Hash32& digest) {
    TypedState state(m_view);
    const Transaction& tx = signed_transaction.transaction;
    const ChainInfo chain = state.chain();
    if (tx.chain_id != chain.chain_id) return rejected(digest, TxError::wrong_chain_id);
    if (state.exists(tables::executed(chain.epoch, digest)) ||
        (chain.epoch > 0 && state.exists(tables::executed(chain.epoch - 1, digest)))) {
        return rejected(digest, TxError::already_executed);
    }
    SenderInfo sender;
    uint64_t stored_nonce = 0;
    if (const auto* account = std::get_if<AccountSender>(&tx.sender)) {
        sender.is_account = true;
        sender.address = account->address;
        stored_nonce = state.account(account->address).nonce;
    } else {
        std::optional<uint32_t> index;
        if (const auto* node = std::get_if<NodeSender>(&tx.sender)) {
            index = state.get_u32_be(tables::node_key_index(node->key));
        } else {
            index = state.get_u32_be(tables::consensus_key_index(std::get<ConsensusSender>(tx.sender).key));
        }
        if (!index) return rejected(digest, TxError::unknown_sender);
        auto node = state.node(*index);
        if (!node) return rejected(digest, TxError::unknown_sender);
        sender.node = *index;
        stored_nonce = node->nonce;
    }
    if (stored_nonce == UINT64_MAX || tx.nonce != stored_nonce + 1) return rejected(digest, TxError::bad_nonce);
    if (!verify_transaction_signature(signed_transaction, digest)) return rejected(digest, TxError::bad_signature);

    m_view.begin_transaction();
    ExecutionEffects effects;
    Execution execution(state, m_context, effects, sender);
    Outcome outcome = std::visit(execution, tx.method);
    if (outcome) {
        m_view.commit_transaction();
        m_effects.epoch_changed |= effects.epoch_changed;
        m_effects.committee_changed |= effects.committee_changed;
    } else {
        m_view.rollback_transaction();
    }
    // Success or revert: the nonce is used and the digest recorded.
    if (sender.is_account) {
        AccountInfo account = state.account(sender.address);
        account.nonce = tx.nonce;
        state.set_account(sender.address, account);
    } else if (auto node = state.node(sender.node)) {
        node->nonce = tx.nonce;
        state.set_node(sender.node, *node);
    }
    state.put_u64(tables::executed(state.chain().epoch, digest), m_context.height);
    if (!outcome) return TransactionReceipt{digest, ReceiptStatus::reverted, outcome.error(), NoOutput{}};
    return TransactionReceipt{digest, ReceiptStatus::success, TxError::none, std::move(*outcome)};
}

}  // namespace fleek::ledger
