#include "consensus/node.h"

#include "consensus/records.h"
#include "util/log.h"

#include <algorithm>

namespace fleek::consensus {

std::string_view to_string(SubmitError error) noexcept {
    switch (error) {
        case SubmitError::too_large: return "transaction larger than the maximum";
        case SubmitError::busy: return "too many batches waiting; retry later";
        case SubmitError::halted: return "consensus node halted after a storage error";
    }
    return "unknown submit error";
}

namespace {

ConsensusState load_consensus_state(Store& store, bool& corrupt) {
    auto raw = store.get(Table::meta, as_bytes(meta_consensus_key));
    if (!raw) {
        corrupt = true;
        return {};
    }
    if (!*raw) return {};
    auto state = codec::decode<ConsensusState>(**raw);
    if (!state) {
        corrupt = true;
        return {};
    }
    return *state;
}

}  // namespace

Node::Node(Committee committee, AuthorityIndex me, std::shared_ptr<const SignatureScheme> signer, Store& store,
           Options options, TimeUs now)
    : m_committee(std::move(committee)),
      m_me(me),
      m_signer(std::move(signer)),
      m_store(store),
      m_params(options.parameters),
      m_hooks(options.hooks),
      m_rng(options.rng_seed),
      m_observer(options.observer),
      m_now(now),
      m_bullshark(m_committee, options.parameters.gc_depth, load_consensus_state(store, m_halted), options.hooks) {
    FLEEK_ASSERT(m_committee.contains(me));
    FLEEK_ASSERT(m_params.gc_depth >= 2);
    m_peer_rounds.assign(m_committee.size(), 0);
    m_batch_fetches_by_owner.assign(m_committee.size(), 0);
    m_cert_fetches_by_owner.assign(m_committee.size(), 0);
    m_suspended_by_peer.assign(m_committee.size(), 0);
    m_range_served.assign(m_committee.size(), std::nullopt);
    m_unsolicited_by_peer.assign(m_committee.size(), 0);
    m_last_progress = now;
    m_last_range_request = now;
    if (m_halted) {
        FLEEK_LOG_ERROR("consensus", "consensus state in the store does not decode");
        return;
    }
    recover();
    if (m_hooks.replay_output_from_start) {
        m_next_resolve = 0;
        m_next_sequence = 0;
        m_suppress_below = 0;
    } else if (options.next_output_index) {
        const uint64_t wanted = *options.next_output_index;
        if (wanted > m_next_resolve) {
            m_suppress_below = wanted;
        } else if (wanted < m_next_resolve) {
            auto mark = read(Table::output_marks, key_u64(wanted));
            if (mark && mark->size() == 8) {
                m_next_resolve = wanted;
                m_next_sequence = read_key_u64(*mark, 0);
            } else {
                FLEEK_LOG_WARN("consensus", "cannot replay output from {}: starting at {}", wanted, m_next_resolve);
            }
        }
    }
    after_event();
}

// ---- recovery ---------------------------------------------------------------------------------------

void Node::recover() {
    m_genesis = genesis(m_committee);
    const Round gc = m_bullshark.gc_round();
    if (gc == 0) {
        for (const auto& g : m_genesis) {
            m_dag[0][g->author()] = g;
            m_certs[g->digest] = g;
        }
    }
    // Votes we signed.
    bool corrupt_votes = false;
    auto votes = m_store.scan(Table::last_vote, {}, {}, [&](ByteSpan key, ByteSpan value) {
        auto record = codec::decode<LastVoteRecord>(value);
        if (key.size() != 2 || !record) {
            corrupt_votes = true;  // a vote we cannot read could be contradicted: refuse to run
            return false;
        }
        LastVote vote{record->round, record->header, record->created_at_ms, std::nullopt};
        if (record->has_header_fields) vote.signature = record->header_signature;
        m_last_votes[static_cast<AuthorityIndex>((key[0] << 8) | key[1])] = vote;
        return true;
    });
    if (!votes || corrupt_votes) {
        if (corrupt_votes) FLEEK_LOG_ERROR("consensus", "a vote record in the store does not decode");
        m_halted = true;
        return;
    }
    // The header we proposed last.
    if (auto raw = read(Table::last_proposed, {}); raw) {
        auto header = codec::decode<Header>(*raw);
        if (!header) {
            m_halted = true;
            FLEEK_LOG_ERROR("consensus", "last proposed header in the store does not decode");
            return;
        }
        m_header = std::move(*header);
        m_round = m_header->round;
        m_header_digest = m_header->digest();
        m_header_sent = 0;  // re-broadcast on the first tick
        m_last_proposal = m_now;
    }
    // Certificates above the GC round, in (round, author) order: parents before children.
    std::vector<Digest> digests;
    auto index = m_store.scan(Table::certificate_rounds, key_u64(gc + 1), {}, [&](ByteSpan, ByteSpan value) {
        if (value.size() == 32) {
            Digest d{};
            std::copy(value.begin(), value.end(), d.begin());
            digests.push_back(d);
        }
        return true;
    });
    if (!index) {
        m_halted = true;
        return;
    }
    std::vector<CertificatePtr> restored;
    for (const Digest& d : digests) {
        auto raw = read(Table::certificates, d);
        if (!raw) continue;
        auto certificate = codec::decode<Certificate>(*raw);
        if (!certificate) continue;
        auto vertex = make_vertex(std::move(*certificate));
        if (vertex->digest != d || vertex->certificate.header.epoch != m_committee.epoch()) continue;
        if (!m_hooks.restart_forgets_commits) {
            if (auto committed = read(Table::committed, d); committed) m_bullshark.mark_committed(d);
        }
        restored.push_back(std::move(vertex));
    }
    for (const auto& vertex : restored) {
        const Round round = vertex->round();
        if (round <= m_bullshark.gc_round()) continue;
        bool parents_present = round <= m_bullshark.gc_round() + 1;
        if (!parents_present) {
            parents_present = std::all_of(vertex->parents().begin(), vertex->parents().end(),
                                          [&](const Digest& p) { return m_certs.count(p) != 0; });
        }
        if (!parents_present) continue;  // a lost parent: fetched again from peers
        m_dag[round][vertex->author()] = vertex;
        m_certs[vertex->digest] = vertex;
        if (vertex->author() == m_me && m_header && vertex->digest == m_header_digest) m_header_certified = true;
        auto committed = m_bullshark.add(vertex);
        if (!committed.empty()) on_committed(committed);
    }
    // Own batches: queued, or in a header whose certificate may still be committed.
    const Round gc_now = m_bullshark.gc_round();
    std::vector<Digest> requeue_list;
    auto own = m_store.scan(Table::own_batches, {}, {}, [&](ByteSpan key, ByteSpan value) {
        if (key.size() != 32 || value.size() != 8) return true;
        Digest d{};
        std::copy(key.begin(), key.end(), d.begin());
        const Round proposed = read_key_u64(value, 0);
        const bool in_current = m_header && proposed == m_round && !m_header_certified;
        const bool certified = proposed > 0 && certificate_at(proposed, m_me) != nullptr;
        if (proposed > gc_now && (in_current || certified)) {
            m_own_proposed[proposed].push_back(d);
        } else if (proposed == 0) {
            m_queued.push_back(d);
        } else {
            requeue_list.push_back(d);
        }
        return true;
    });
    if (!own) {
        m_halted = true;
        return;
    }
    if (!requeue_list.empty()) requeue(requeue_list);
    if (m_header && m_round <= gc_now) m_header_certified = true;  // too old to certify: abandoned
    // Output position.
    if (auto raw = read(Table::meta, as_bytes(meta_output_key)); raw) {
        auto state = codec::decode<OutputState>(*raw);
        if (state) {
            m_next_resolve = state->next_index;
            m_next_sequence = state->next_sequence;
        }
    }
}

// ---- plumbing ---------------------------------------------------------------------------------------

void Node::send_bytes(AuthorityIndex to, Plane plane, const Bytes& bytes) {
    if (to == m_me || m_halted) return;
    m_outbound.push_back(Outbound{to, plane, bytes});
}

void Node::send(AuthorityIndex to, Plane plane, const Message& message) {
    if (to == m_me || m_halted) return;
    m_outbound.push_back(Outbound{to, plane, encode_message(message)});
}

void Node::broadcast(Plane plane, const Message& message) {
    const Bytes bytes = encode_message(message);
    for (size_t i = 0; i < m_committee.size(); ++i) send_bytes(static_cast<AuthorityIndex>(i), plane, bytes);
}

bool Node::write(const WriteBatch& batch, bool sync) {
    if (m_halted) return false;
    if (batch.empty()) return true;
    if (auto done = m_store.write(batch, sync); !done) {
        FLEEK_LOG_ERROR("consensus", "storage write failed ({}): consensus node halted", to_string(done.error()));
        m_halted = true;
        m_outbound.clear();
        return false;
    }
    return true;
}

std::optional<Bytes> Node::read(Table table, ByteSpan key) {
    auto value = m_store.get(table, key);
    if (!value) {
        FLEEK_LOG_ERROR("consensus", "storage read failed: consensus node halted");
        m_halted = true;
        m_outbound.clear();
        return std::nullopt;
    }
    return std::move(*value);
}

AuthorityIndex Node::random_peer() {
    if (m_committee.size() == 1) return m_me;
    auto pick = static_cast<AuthorityIndex>(m_rng.below(m_committee.size() - 1));
    return pick >= m_me ? static_cast<AuthorityIndex>(pick + 1) : pick;
}

CertificatePtr Node::certificate_at(Round round, AuthorityIndex author) const {
    auto r = m_dag.find(round);
    if (r == m_dag.end()) return nullptr;
    auto it = r->second.find(author);
    return it == r->second.end() ? nullptr : it->second;
}

void Node::after_event() {
    if (m_halted) {
        m_outbound.clear();
        return;
    }
    try_propose();
    resolve_outputs();
    if (m_halted) m_outbound.clear();
}

// ---- inputs -----------------------------------------------------------------------------------------

void Node::on_message(AuthorityIndex from, Plane plane, ByteSpan bytes, TimeUs now) {
    m_now = std::max(m_now, now);
    if (m_halted) return;
    ++m_stats.messages_in;
    if (!m_committee.contains(from) || from == m_me) {
        ++m_stats.malformed;
        return;
    }
    if (plane == Plane::worker && !bytes.empty() && bytes[0] == static_cast<uint8_t>(MessageTag::batch)) {
        // Batches are the bulk of the traffic: checked in place, hashed and stored from the
        // received bytes, never copied into transactions.
        codec::Reader r(bytes);
        (void)r.u8();
        auto epoch = r.u64();
        auto count = r.count(batch_transactions_max, 4);
        size_t payload = 0;
        bool valid = epoch && count && *epoch == m_committee.epoch();
        for (uint32_t i = 0; valid && i < *count; ++i) {
            auto tx = r.bytes(transaction_bytes_max);
            valid = tx.has_value();
            if (valid) payload += tx->size();
        }
        if (!valid || !r.finish()) {
            ++m_stats.malformed;
            return;
        }
        on_batch(from, bytes.subspan(9), payload, *count);
        after_event();
        return;
    }
    auto decoded = decode_message(bytes);
    if (!decoded || plane_of(*decoded) != plane || epoch_of(*decoded) != m_committee.epoch()) {
        ++m_stats.malformed;
        return;
    }
    Message& message = *decoded;
    switch (message.index()) {
        case 0: on_header(from, std::move(std::get<Header>(message))); break;
        case 1: on_vote(from, std::get<Vote>(message)); break;
        case 2: {
            // Only its author broadcasts a certificate; others' arrive as answers to our requests.
            auto& certificate = std::get<Certificate>(message);
            if (certificate.header.author != from) {
                unsolicited(from, 1);
                break;
            }
            on_certificate(from, make_vertex(std::move(certificate)));
            break;
        }
        case 3: on_certificates_request(from, std::get<CertificatesRequest>(message)); break;
        case 4: on_range_request(from, std::get<CertificateRangeRequest>(message)); break;
        case 5: on_certificates_response(from, std::move(std::get<CertificatesResponse>(message)), bytes.size()); break;
        case 6: break;  // handled above without decoding
        case 7: on_batch_ack(from, std::get<BatchAck>(message)); break;
        case 8: on_batch_request(from, std::get<BatchRequest>(message)); break;
        case 9: on_batch_response(from, std::move(std::get<BatchResponse>(message))); break;
        default: break;
    }
    after_event();
}

void Node::on_tick(TimeUs now) {
    m_now = std::max(m_now, now);
    if (m_halted) return;
    worker_tick();
    primary_tick();
    after_event();
}

Result<void, SubmitError> Node::submit_transaction(Bytes transaction, TimeUs now) {
    m_now = std::max(m_now, now);
    if (m_halted) return fail(SubmitError::halted);
    if (transaction.size() > transaction_bytes_max || transaction.size() > m_params.batch_size_bytes) {
        return fail(SubmitError::too_large);
    }
    if (m_awaiting_acks.size() + m_queued.size() >= m_params.max_pending_batches) return fail(SubmitError::busy);
    if (m_building.transactions.empty()) m_building_since = m_now;
    m_building_bytes += transaction.size();
    m_building.transactions.push_back(std::move(transaction));
    if (m_building_bytes >= m_params.batch_size_bytes) {
        seal_batch();
        after_event();
    }
    return {};
}

TimeUs Node::next_wakeup() const {
    TimeUs next = m_now + m_params.sync_interval_us;
    auto consider = [&](TimeUs t) { next = std::min(next, t); };
    if (m_halted) return next;
    if (!m_building.transactions.empty()) consider(m_building_since + m_params.max_batch_delay_us);
    for (const auto& [d, a] : m_awaiting_acks) consider(a.last_sent + m_params.batch_resend_us);
    for (const auto& [d, f] : m_batch_fetches) consider(f.last_request + m_params.sync_retry_us);
    for (const auto& [d, f] : m_cert_fetches) consider(f.last_request + m_params.sync_retry_us);
    if (m_header && !m_header_certified) consider(m_header_sent + m_params.header_resend_us);
    if (const TimeUs pending = earliest_pending_time(); pending != UINT64_MAX) consider(pending);
    consider(m_last_range_request + m_params.sync_interval_us);
    if (m_next_resolve < m_bullshark.state().next_index && m_batch_fetches.empty()) consider(m_now + 1);
    // Proposer timers.
    const Round q = quorum_round();
    if (q + 1 > m_round && !m_hooks.never_propose) {
        // Before min_header_delay a proposal may become ready on its own; after it, only a
        // message (which is an input anyway) or the timeout can change the answer.
        const TimeUs early = m_last_proposal + m_params.min_header_delay_us;
        if (early > m_now) consider(early);
        TimeUs timeout = m_params.max_header_delay_us;
        if ((q + 1) % 2 == 0 && m_bullshark.leader_of(q + 1) == m_me) timeout /= 2;
        consider(m_last_proposal + timeout);
    }
    return std::max(next, m_now + 1);
}

std::vector<CommittedOutput> Node::take_output() {
    std::vector<CommittedOutput> out(std::make_move_iterator(m_output.begin()), std::make_move_iterator(m_output.end()));
    m_output.clear();
    return out;
}

// ---- output -----------------------------------------------------------------------------------------

void Node::prefetch_outputs(uint64_t from_index) {
    constexpr uint64_t lookahead = 16;
    const uint64_t until = std::min(from_index + lookahead, m_bullshark.state().next_index);
    for (uint64_t index = from_index; index < until && !m_halted; ++index) {
        auto raw = read(Table::sub_dags, key_u64(index));
        if (!raw) return;
        auto record = codec::decode<SubDagRecord>(*raw);
        if (!record) return;
        for (const Digest& d : record->certificates) {
            CertificatePtr vertex;
            if (auto it = m_certs.find(d); it != m_certs.end()) {
                vertex = it->second;
            } else {
                auto stored = read(Table::certificates, d);
                if (!stored) continue;
                auto c = codec::decode<Certificate>(*stored);
                if (!c) continue;
                vertex = make_vertex(std::move(*c));
            }
            std::vector<Digest> missing;
            for (const auto& entry : vertex->certificate.header.payload) {
                if (!has_batch(entry)) missing.push_back(entry.batch);
            }
            if (!missing.empty()) fetch_batches(missing, vertex->author(), false, true);
        }
    }
    m_prefetched_until = until;
}

void Node::resolve_outputs() {
    // One sub-DAG per call: resolving reads and splits every batch, and a big sub-DAG must not
    // hold up headers and votes; the next call (next_wakeup is then immediate) continues.
    for (int budget = 1; budget > 0 && !m_halted && m_next_resolve < m_bullshark.state().next_index; --budget) {
        auto raw = read(Table::sub_dags, key_u64(m_next_resolve));
        if (!raw) return;
        auto record = codec::decode<SubDagRecord>(*raw);
        if (!record) {
            FLEEK_LOG_ERROR("consensus", "committed sub-DAG {} does not decode", m_next_resolve);
            m_halted = true;
            return;
        }
        // Certificates, then their batches.
        std::vector<Certificate> certificates;
        certificates.reserve(record->certificates.size());
        for (const Digest& d : record->certificates) {
            if (auto it = m_certs.find(d); it != m_certs.end()) {
                certificates.push_back(it->second->certificate);
                continue;
            }
            auto stored = read(Table::certificates, d);
            if (!stored) {
                FLEEK_LOG_ERROR("consensus", "committed certificate missing from the store");
                m_halted = true;
                return;
            }
            auto c = codec::decode<Certificate>(*stored);
            if (!c) {
                m_halted = true;
                return;
            }
            certificates.push_back(std::move(*c));
        }
        // Missing batches of recent certificates are usually still in flight (certificates do not
        // wait for batches); those of older ones, or when we are catching up, are asked for now.
        std::map<std::pair<AuthorityIndex, bool>, std::vector<Digest>> missing;
        const bool catching_up = m_bullshark.state().next_index > m_next_resolve + 2;
        for (const auto& c : certificates) {
            const bool old = catching_up || c.header.round + 4 < highest_round();
            for (const auto& entry : c.header.payload) {
                if (!has_batch(entry)) missing[{c.header.author, old}].push_back(entry.batch);
            }
        }
        if (m_halted) return;
        if (!missing.empty()) {
            for (const auto& [who, digests] : missing) fetch_batches(digests, who.first, false, who.second);
            if (catching_up && m_prefetched_until <= m_next_resolve) prefetch_outputs(m_next_resolve + 1);
            return;
        }
        CommittedOutput output;
        output.sub_dag_index = m_next_resolve;
        output.leader_round = record->leader_round;
        output.leader = record->leader;
        output.timestamp_ms = record->timestamp_ms;
        output.certificates = record->certificates;
        const uint64_t first_sequence = m_next_sequence;
        for (const auto& c : certificates) {
            for (const auto& entry : c.header.payload) {
                Bytes key = key_u32(entry.worker);
                key.insert(key.end(), entry.batch.begin(), entry.batch.end());
                auto stored = read(Table::batches, key);
                if (!stored) return;
                auto batch = codec::decode<Batch>(*stored);
                if (!batch) {
                    m_halted = true;
                    return;
                }
                output.batches.push_back(entry.batch);
                for (auto& tx : batch->transactions) {
                    output.transactions.push_back(OrderedTransaction{m_next_sequence++, std::move(tx)});
                }
            }
        }
        WriteBatch b;
        b.put(Table::output_marks, key_u64(m_next_resolve), key_u64(first_sequence));
        b.put(Table::meta, as_bytes(meta_output_key), codec::encode(OutputState{m_next_resolve + 1, m_next_sequence}));
        if (!write(b, false)) return;
        ++m_next_resolve;
        if (output.sub_dag_index >= m_suppress_below) {
            ++m_stats.outputs_emitted;
            m_output.push_back(std::move(output));
        }
    }
}

}  // namespace fleek::consensus
