// The Narwhal primary of a node: headers, votes, certificates, the DAG, garbage collection and the
// proposer (consensus.md §1.3-1.6, §7.3). Synchronization (fetches, requests, responses) is in
// sync.cpp.
#include "consensus/node.h"
#include "consensus/records.h"
#include "util/log.h"

#include <algorithm>

namespace fleek::consensus {

namespace {
constexpr size_t verified_cache_max = 8192;
}

bool Node::round_acceptable(Round round) {
    if (round <= m_bullshark.gc_round()) {
        ++m_stats.too_old;
        return false;
    }
    if (round > std::max(highest_round(), m_round) + m_params.max_round_ahead) {
        ++m_stats.too_far_ahead;
        return false;
    }
    return true;
}

bool Node::validate_header_structure(const Header& h) {
    // Every header, vote and certificate that enters is of this instance's epoch: a certificate
    // of another epoch (valid there, same keys) would otherwise take its (author, round) slot.
    if (h.epoch != m_committee.epoch() && !m_hooks.accept_any_epoch) {
        ++m_stats.wrong_epoch;
        return false;
    }
    if (!m_committee.contains(h.author) || h.round == 0) return false;
    if (h.payload.size() > m_params.max_header_batches) return false;
    if (h.parents.size() < m_committee.quorum() || h.parents.size() > m_committee.size()) return false;
    std::vector<PayloadEntry> payload = h.payload;
    std::sort(payload.begin(), payload.end());
    for (size_t i = 0; i < payload.size(); ++i) {
        if (payload[i].worker >= workers_per_authority) return false;
        if (i > 0 && payload[i - 1].batch == payload[i].batch) return false;
    }
    return true;
}

bool Node::verify_signature(AuthorityIndex signer, const ledger::ConsensusStatement& statement,
                            const SignatureBytes& signature) {
    ++m_stats.signature_checks;
    return m_signer->verify(signer, statement, signature);
}

// ---- headers ----------------------------------------------------------------------------------------

void Node::on_header(AuthorityIndex from, Header header) {
    // Only its author sends a header (others never relay one): anything else is refused before
    // the signature check.
    if (header.author != from || !validate_header_structure(header)) {
        ++m_stats.rejected;
        return;
    }
    if (!round_acceptable(header.round)) return;
    const Digest digest = header.digest();
    if (!m_verified_headers.count(digest)) {
        if (!verify_signature(header.author, header_statement(m_committee, header, digest), header.signature)) {
            ++m_stats.bad_signatures;
            ++m_stats.rejected;
            return;
        }
        if (m_verified_headers.size() >= verified_cache_max) m_verified_headers.clear();
        m_verified_headers.insert(digest);
        // A parked header of the same (author, round) with another digest: both are signed.
        for (const auto& [pending_digest, pending] : m_pending_headers) {
            if (pending.header.author == header.author && pending.header.round == header.round && pending_digest != digest) {
                report_equivocation(header.round, pending_digest, pending.header.signature, header, digest);
                break;
            }
        }
    }
    // Only authenticated rounds count as evidence that a peer is ahead (junk rounds must not
    // steer our range requests to the junk's sender).
    m_peer_rounds[from] = std::max(m_peer_rounds[from], header.round);
    process_header(from, header, digest);
}

bool Node::header_time_acceptable(const Header& header) {
    if (m_hooks.trust_header_timestamps) return true;
    if (header.created_at_ms > m_now / 1000 + m_params.max_header_time_drift_ms) {
        ++m_stats.future_headers;
        ++m_stats.rejected;
        return false;
    }
    // Per author, created_at never goes back: not below the last header of that author we voted
    // for, nor below the author's own certificate among the parents.
    if (auto it = m_last_votes.find(header.author);
        it != m_last_votes.end() && header.round > it->second.round && header.created_at_ms < it->second.created_at_ms) {
        ++m_stats.stale_timestamps;
        ++m_stats.rejected;
        return false;
    }
    for (const Digest& p : header.parents) {
        auto parent = m_certs.find(p);
        if (parent != m_certs.end() && parent->second->author() == header.author &&
            header.created_at_ms < parent->second->certificate.header.created_at_ms) {
            ++m_stats.stale_timestamps;
            ++m_stats.rejected;
            return false;
        }
    }
    return true;
}

void Node::process_header(AuthorityIndex from, const Header& header, const Digest& digest) {
    // Cheap guard first: a header we can never vote for is not worth fetching anything for.
    if (!m_hooks.vote_without_guard) {
        if (auto it = m_last_votes.find(header.author); it != m_last_votes.end()) {
            if (header.round < it->second.round) {
                m_pending_headers.erase(digest);
                return;
            }
            if (header.round == it->second.round) {
                m_pending_headers.erase(digest);
                if (it->second.header == digest) {
                    vote_for(header, digest);  // re-send the same vote
                } else {
                    ++m_stats.equivocations_refused;
                    if (it->second.signature) {
                        report_equivocation(header.round, it->second.header, *it->second.signature, header, digest);
                    }
                }
                return;
            }
        }
    }
    if (!header_time_acceptable(header)) {
        m_pending_headers.erase(digest);
        return;
    }
    // Parents: all known, all of the previous round, distinct authors, a quorum.
    std::vector<Digest> missing_parents;
    for (const Digest& p : header.parents) {
        if (!m_certs.count(p)) missing_parents.push_back(p);
    }
    auto park = [&]() {
        if (!m_pending_headers.count(digest) &&
            (m_pending_headers.size() >= m_params.max_pending_headers ||
             pending_headers_of(header.author) >= share_of(m_params.max_pending_headers))) {
            ++m_stats.dropped_pending;
            return false;
        }
        m_pending_headers.try_emplace(digest, PendingHeader{header, from, m_now, m_now + m_params.sync_retry_us});
        return true;
    };
    if (!missing_parents.empty()) {
        if (header.round - 1 <= m_bullshark.gc_round()) {
            // Parents below our GC round are gone for good: such an old header gets no vote.
            m_pending_headers.erase(digest);
            return;
        }
        if (park()) fetch_certificates(missing_parents, from, header.author);
        return;
    }
    std::set<AuthorityIndex> parent_authors;
    for (const Digest& p : header.parents) {
        const auto& parent = m_certs.at(p);
        if (parent->round() + 1 != header.round || !parent_authors.insert(parent->author()).second) {
            ++m_stats.rejected;
            m_pending_headers.erase(digest);
            return;
        }
    }
    if (parent_authors.size() < m_committee.quorum()) {
        ++m_stats.rejected;
        m_pending_headers.erase(digest);
        return;
    }
    if (!header_time_acceptable(header)) {  // now against the author's parent certificate too
        m_pending_headers.erase(digest);
        return;
    }
    // Payload: every (batch, worker) stored by our worker before we vote.
    if (!m_hooks.skip_payload_check) {
        std::vector<Digest> missing_batches;
        for (const auto& entry : header.payload) {
            if (!has_batch(entry)) missing_batches.push_back(entry.batch);
        }
        if (m_halted) return;
        if (!missing_batches.empty()) {
            if (park()) fetch_batches(missing_batches, header.author, true, false);
            return;
        }
    }
    // A header from (less than max_header_time_drift_ms in) the future waits for our clock: a
    // certified header's time is then never ahead of the clock of an honest voter.
    if (!m_hooks.trust_header_timestamps && header.created_at_ms > m_now / 1000) {
        park();
        return;
    }
    m_pending_headers.erase(digest);
    vote_for(header, digest);
}

size_t Node::pending_headers_of(AuthorityIndex author) const {
    size_t count = 0;
    for (const auto& [digest, p] : m_pending_headers) count += p.header.author == author;
    return count;
}

TimeUs Node::earliest_pending_time() const {
    TimeUs earliest = UINT64_MAX;
    if (m_hooks.trust_header_timestamps) return earliest;
    for (const auto& [digest, p] : m_pending_headers) {
        if (p.header.created_at_ms > m_now / 1000) earliest = std::min(earliest, p.header.created_at_ms * 1000);
    }
    return earliest;
}

void Node::retry_pending_headers() {
    if (m_pending_headers.empty()) return;
    std::vector<std::pair<Digest, PendingHeader>> pending(m_pending_headers.begin(), m_pending_headers.end());
    for (const auto& [digest, p] : pending) {
        if (m_halted) return;
        if (!m_pending_headers.count(digest)) continue;
        // Still waiting for something? Once per sync_retry, ask again for what is no longer being
        // fetched (a fetch dropped by a bound, or one that gave up); otherwise the first missing
        // item is enough to know (a header can name 256 batches).
        const bool refetch = m_now >= p.refetch_at;
        if (refetch) m_pending_headers[digest].refetch_at = m_now + m_params.sync_retry_us;
        std::vector<Digest> missing;
        for (const Digest& parent : p.header.parents) {
            if (m_certs.count(parent)) continue;
            missing.push_back(parent);
            if (!refetch) break;
        }
        if (!missing.empty()) {
            if (refetch) fetch_certificates(missing, p.from, p.header.author);
            continue;
        }
        if (!m_hooks.skip_payload_check) {
            for (const auto& entry : p.header.payload) {
                if (has_batch(entry)) continue;
                missing.push_back(entry.batch);
                if (!refetch) break;
            }
            if (m_halted) return;
            if (!missing.empty()) {
                if (refetch) fetch_batches(missing, p.header.author, true, false);
                continue;
            }
        }
        if (!m_hooks.trust_header_timestamps && p.header.created_at_ms > m_now / 1000) continue;
        process_header(p.from, p.header, digest);
    }
}

void Node::vote_for(const Header& header, const Digest& digest) {
    const bool repeat = [&] {
        auto it = m_last_votes.find(header.author);
        return it != m_last_votes.end() && it->second.round == header.round && it->second.header == digest;
    }();
    Vote vote{m_committee.epoch(), header.round, header.author, digest, m_me, {}};
    vote.signature = m_signer->sign(vote_statement(m_committee, vote.epoch, vote.round, vote.origin, digest));
    if (!repeat) {
        if (!m_hooks.skip_vote_persistence) {
            LastVoteRecord record{header.round, digest, true, header.created_at_ms, header.signature};
            WriteBatch b;
            b.put(Table::last_vote, key_u16(header.author), codec::encode(record));
            if (!write(b, true)) return;  // durable before it leaves
        }
        auto& last = m_last_votes[header.author];
        if (header.round >= last.round) last = LastVote{header.round, digest, header.created_at_ms, header.signature};
        ++m_stats.votes_sent;
        if (m_observer) m_observer->on_vote_signed(vote);
    }
    send(header.author, Plane::primary, vote);
}

void Node::report_equivocation(Round round, const Digest& first, const SignatureBytes& first_signature,
                               const Header& second, const Digest& second_digest) {
    if (first == second_digest || second.round != round) return;
    if (!m_evidence_reported.insert({round, second.author}).second) return;  // one per (author, round)
    if (m_evidence.size() >= evidence_queue_max) {
        ++m_stats.evidence_dropped;
        return;
    }
    ledger::ConsensusStatement first_statement = header_statement(m_committee, second, second_digest);
    first_statement.subject = first;
    EquivocationEvidence evidence;
    evidence.author = second.author;
    evidence.first = ledger::SignedStatement{first_statement, first_signature};
    evidence.second = ledger::SignedStatement{header_statement(m_committee, second, second_digest), second.signature};
    FLEEK_LOG_DEBUG("consensus", "authority {} signed two headers for round {}: evidence kept", second.author, round);
    ++m_stats.evidence_emitted;
    m_evidence.push_back(std::move(evidence));
}

// ---- votes and certificates of our own header -------------------------------------------------------

void Node::on_vote(AuthorityIndex from, const Vote& vote) {
    if (vote.epoch != m_committee.epoch()) {
        ++m_stats.wrong_epoch;
        return;
    }
    if (!m_header || m_header_certified || vote.round != m_round || vote.origin != m_me ||
        vote.header != m_header_digest) {
        return;  // not for our current header (late or stray): dropped
    }
    if (vote.voter != from || !m_committee.contains(vote.voter)) {
        ++m_stats.rejected;
        return;
    }
    if (m_votes.count(vote.voter) || m_bad_voters.count(vote.voter)) return;
    m_votes[vote.voter] = vote.signature;
    if (m_votes.size() >= m_committee.quorum()) form_certificate();
}

void Node::form_certificate() {
    const auto statement = vote_statement(m_committee, m_committee.epoch(), m_round, m_me, m_header_digest);
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (m_votes.size() < m_committee.quorum()) return;
        std::vector<AuthorityIndex> signers;
        std::vector<SignatureBytes> signatures;
        for (const auto& [voter, signature] : m_votes) {
            signers.push_back(voter);
            signatures.push_back(signature);
        }
        // One aggregate check instead of one check per vote; only on failure find the culprits.
        auto aggregate = m_signer->aggregate(signatures);
        if (aggregate) ++m_stats.signature_checks;
        if (aggregate && m_signer->verify_aggregate(signers, statement, *aggregate)) {
            Certificate certificate{*m_header, signer_bitmap(m_committee.size(), signers), *aggregate};
            auto vertex = make_vertex(std::move(certificate));
            m_header_certified = true;
            ++m_stats.certificates_formed;
            // Inserting it writes it with sync (insert_certificate) before the broadcast leaves
            // this call: a certificate that peers may hold is never lost by a power loss here, so
            // a restart cannot take its header for uncertified and re-propose its batches.
            accept_certificate(vertex);
            if (m_halted) return;
            broadcast(Plane::primary, vertex->certificate);
            return;
        }
        for (auto it = m_votes.begin(); it != m_votes.end();) {
            if (!verify_signature(it->first, statement, it->second)) {
                ++m_stats.bad_signatures;
                m_bad_voters.insert(it->first);
                it = m_votes.erase(it);
            } else {
                ++it;
            }
        }
    }
}

// ---- certificates -----------------------------------------------------------------------------------

bool Node::verify_certificate(const CertificatePtr& vertex) {
    const Certificate& c = vertex->certificate;
    auto signers = bitmap_signers(m_committee.size(), c.signers);
    if (!signers || signers->size() < m_committee.quorum()) return false;
    if (m_hooks.skip_certificate_signature_check) return true;
    const auto statement = vote_statement(m_committee, c.header.epoch, c.header.round, c.header.author, vertex->digest);
    ++m_stats.signature_checks;
    if (!m_signer->verify_aggregate(*signers, statement, c.aggregate_signature)) {
        ++m_stats.bad_signatures;
        return false;
    }
    return true;
}

void Node::on_certificate(AuthorityIndex from, const CertificatePtr& vertex) {
    if (!validate_header_structure(vertex->certificate.header)) {
        ++m_stats.rejected;
        return;
    }
    if (!round_acceptable(vertex->round())) return;
    if (m_certs.count(vertex->digest) || m_suspended.count(vertex->digest)) return;
    if (auto existing = certificate_at(vertex->round(), vertex->author()); existing) {
        // A second valid certificate for one (author, round) needs f+1 honest double votes: one
        // that is not ours is refused before its signatures cost anything.
        ++m_stats.rejected;
        return;
    }
    if (!verify_certificate(vertex)) {
        ++m_stats.rejected;
        return;
    }
    m_peer_rounds[from] = std::max(m_peer_rounds[from], vertex->round());
    if (auto fetch = m_cert_fetches.find(vertex->digest); fetch != m_cert_fetches.end()) erase_cert_fetch(fetch);
    if (vertex->round() > m_bullshark.gc_round() + 1) {
        std::vector<Digest> missing;
        for (const Digest& p : vertex->parents()) {
            if (!m_certs.count(p)) missing.push_back(p);
        }
        if (!missing.empty()) {
            if (m_suspended.size() >= m_params.max_suspended_certificates ||
                suspended_from(from) >= share_of(m_params.max_suspended_certificates)) {
                ++m_stats.dropped_pending;
                return;
            }
            m_suspended.emplace(vertex->digest, Suspended{vertex, from});
            ++m_suspended_by_peer[from];
            fetch_certificates(missing, from, from);
            return;
        }
    }
    accept_certificate(vertex);
}

void Node::erase_suspended(std::map<Digest, Suspended>::iterator& it) {
    --m_suspended_by_peer[it->second.from];
    it = m_suspended.erase(it);
}

void Node::accept_certificate(const CertificatePtr& vertex) {
    std::vector<CertificatePtr> work{vertex};
    bool inserted_any = false;
    while (!work.empty() && !m_halted) {
        CertificatePtr c = work.back();
        work.pop_back();
        if (m_certs.count(c->digest) || c->round() <= m_bullshark.gc_round()) continue;
        if (certificate_at(c->round(), c->author())) continue;  // conflicting: refused
        insert_certificate(c);
        inserted_any = true;
        // Wake the suspended certificates whose parents are now all present (or below GC).
        for (auto it = m_suspended.begin(); it != m_suspended.end();) {
            const auto s = it->second.certificate;
            bool ready = s->round() <= m_bullshark.gc_round() + 1 ||
                         std::all_of(s->parents().begin(), s->parents().end(),
                                     [&](const Digest& p) { return m_certs.count(p) != 0; });
            if (s->round() <= m_bullshark.gc_round()) {
                erase_suspended(it);
            } else if (ready) {
                work.push_back(s);
                erase_suspended(it);
            } else {
                ++it;
            }
        }
    }
    if (inserted_any) retry_pending_headers();
}

void Node::insert_certificate(const CertificatePtr& c) {
    m_dag[c->round()][c->author()] = c;
    m_certs[c->digest] = c;
    if (auto fetch = m_cert_fetches.find(c->digest); fetch != m_cert_fetches.end()) erase_cert_fetch(fetch);
    m_last_progress = m_now;
    ++m_stats.certificates_accepted;
    WriteBatch b;
    b.put(Table::certificates, c->digest, codec::encode(c->certificate));
    Bytes index_key = key_u64(c->round());
    const Bytes author_key = key_u16(c->author());
    index_key.insert(index_key.end(), author_key.begin(), author_key.end());
    b.put(Table::certificate_rounds, index_key, c->digest);
    // Our own certificates are synced (see form_certificate); the others can be fetched again.
    const bool sync = c->author() == m_me && !m_hooks.unsynced_own_certificate;
    if (!write(b, sync)) return;
    if (c->author() == m_me && m_header && c->digest == m_header_digest) m_header_certified = true;
    if (m_observer) m_observer->on_certificate_accepted(c);
    auto committed = m_bullshark.add(c);
    if (!committed.empty()) on_committed(committed);
}

void Node::primary_tick() {
    // Re-send our header to the authorities that have not voted yet.
    if (m_header && !m_header_certified) {
        if (m_round <= m_bullshark.gc_round()) {
            m_header_certified = true;  // abandoned; its batches were re-queued by GC
        } else if (m_now >= m_header_sent + m_params.header_resend_us) {
            m_header_sent = m_now;
            const Bytes bytes = encode_message(*m_header);
            for (size_t i = 0; i < m_committee.size(); ++i) {
                if (!m_votes.count(static_cast<AuthorityIndex>(i))) {
                    send_bytes(static_cast<AuthorityIndex>(i), Plane::primary, bytes);
                }
            }
        }
    }
    retry_certificate_fetches();
    range_sync_tick();
    retry_pending_headers();
}

// ---- proposer ---------------------------------------------------------------------------------------

Round Node::quorum_round() const {
    for (auto it = m_dag.rbegin(); it != m_dag.rend(); ++it) {
        if (it->second.size() >= m_committee.quorum()) return it->first;
    }
    return 0;
}

bool Node::leader_ready(Round q) const {
    if (q == 0) return true;
    if (q % 2 == 0) return m_bullshark.leader_certificate(q) != nullptr || certificate_at(q, m_bullshark.leader_of(q));
    const Round leader_round = q - 1;
    if (leader_round == 0) return true;
    CertificatePtr leader = certificate_at(leader_round, m_bullshark.leader_of(leader_round));
    if (!leader) return true;
    auto level = m_dag.find(q);
    if (level == m_dag.end()) return false;
    size_t support = 0;
    for (const auto& [author, c] : level->second) {
        if (std::binary_search(c->parents().begin(), c->parents().end(), leader->digest)) ++support;
    }
    return support >= m_committee.validity() || level->second.size() - support >= m_committee.quorum();
}

void Node::try_propose() {
    if (m_halted || m_hooks.never_propose) return;
    const Round q = quorum_round();
    if (q + 1 <= m_round) return;
    if (!m_dag.count(q)) return;
    const bool behind = q > m_round;
    if (!behind) {
        const TimeUs elapsed = m_now - std::min(m_now, m_last_proposal);
        TimeUs timeout = m_params.max_header_delay_us;
        if ((q + 1) % 2 == 0 && m_bullshark.leader_of(q + 1) == m_me) timeout /= 2;
        const bool ready = elapsed >= m_params.min_header_delay_us &&
                           m_queued.size() >= m_params.header_batches_threshold && leader_ready(q);
        if (elapsed < timeout && !ready) return;
    }
    propose(q + 1);
}

void Node::propose(Round round) {
    FLEEK_ASSERT(round > m_round);
    Header h;
    h.epoch = m_committee.epoch();
    h.round = round;
    h.author = m_me;
    // Our clock, but never below our previous header (a clock set back, a restart): voters refuse
    // an author's header that is older than its previous one.
    h.created_at_ms = std::max(m_now / 1000, m_header ? m_header->created_at_ms : 0);
    for (const auto& [author, c] : m_dag.at(round - 1)) {
        h.parents.push_back(c->digest);
        if (author == m_me) h.created_at_ms = std::max(h.created_at_ms, c->certificate.header.created_at_ms);
    }
    std::sort(h.parents.begin(), h.parents.end());
    while (!m_queued.empty() && h.payload.size() < m_params.max_header_batches) {
        h.payload.push_back(PayloadEntry{m_queued.front(), 0});
        m_queued.pop_front();
    }
    const Digest digest = h.digest();
    h.signature = m_signer->sign(header_statement(m_committee, h, digest));
    // The previous header never got certified: nobody can certify it any more (only we aggregate
    // its votes, and a certificate we formed is durable before it is sent), so its batches go into
    // a later header.
    if (m_header && !m_header_certified) {
        if (auto it = m_own_proposed.find(m_round); it != m_own_proposed.end()) {
            std::vector<Digest> previous = std::move(it->second);
            m_own_proposed.erase(it);
            requeue(previous);
            // requeue() put them in front of the queue; they wait for the next header.
        }
    }
    WriteBatch b;
    b.put(Table::last_proposed, {}, codec::encode(h));
    for (const auto& entry : h.payload) b.put(Table::own_batches, entry.batch, key_u64(round));
    if (!write(b, true)) return;  // durable before it leaves: never two headers for one round
    m_header = h;
    m_header_digest = digest;
    m_header_certified = false;
    m_round = round;
    m_last_proposal = m_now;
    m_header_sent = m_now;
    m_votes.clear();
    m_bad_voters.clear();
    std::vector<Digest> payload_digests;
    for (const auto& entry : h.payload) payload_digests.push_back(entry.batch);
    if (!payload_digests.empty()) m_own_proposed[round] = std::move(payload_digests);
    ++m_stats.headers_proposed;
    if (m_observer) m_observer->on_header_proposed(h, digest, m_now);
    broadcast(Plane::primary, h);
    // Our own vote.
    Vote own{h.epoch, round, m_me, digest, m_me, {}};
    own.signature = m_signer->sign(vote_statement(m_committee, h.epoch, round, m_me, digest));
    m_votes[m_me] = own.signature;
    m_last_votes[m_me] = LastVote{round, digest, h.created_at_ms, h.signature};
    if (m_observer) m_observer->on_vote_signed(own);
    if (m_votes.size() >= m_committee.quorum()) form_certificate();
}

void Node::requeue(const std::vector<Digest>& digests) {
    WriteBatch b;
    for (auto it = digests.rbegin(); it != digests.rend(); ++it) {
        m_queued.push_front(*it);
        b.put(Table::own_batches, *it, key_u64(0));
    }
    write(b, false);
}

// ---- commits and garbage collection -----------------------------------------------------------------

void Node::on_committed(const std::vector<CommittedSubDag>& sub_dags) {
    WriteBatch b;
    for (const auto& sd : sub_dags) {
        SubDagRecord record{sd.leader->round(), sd.leader->digest, sd.timestamp_ms, {}};
        for (const auto& c : sd.certificates) {
            record.certificates.push_back(c->digest);
            b.put(Table::committed, c->digest, key_u64(sd.index));
            if (c->author() == m_me) {
                m_own_proposed.erase(c->round());
                for (const auto& entry : c->certificate.header.payload) b.erase(Table::own_batches, entry.batch);
            }
        }
        b.put(Table::sub_dags, key_u64(sd.index), codec::encode(record));
        ++m_stats.sub_dags_committed;
        if (m_observer) m_observer->on_committed(sd, m_now);
    }
    b.put(Table::meta, as_bytes(meta_consensus_key), codec::encode(m_bullshark.state()));
    if (!write(b, false)) return;
    collect_garbage();
}

void Node::collect_garbage() {
    const Round gc = m_bullshark.gc_round();
    while (!m_dag.empty() && m_dag.begin()->first <= gc) {
        for (const auto& [author, c] : m_dag.begin()->second) m_certs.erase(c->digest);
        m_dag.erase(m_dag.begin());
    }
    for (auto it = m_pending_headers.begin(); it != m_pending_headers.end();) {
        it = it->second.header.round <= gc ? m_pending_headers.erase(it) : std::next(it);
    }
    // Suspended certificates just above the GC round no longer need their parents; they are
    // picked up by the wake-up loop of accept_certificate (which is running, or runs next).
    for (auto it = m_suspended.begin(); it != m_suspended.end();) {
        if (it->second.certificate->round() <= gc) {
            erase_suspended(it);
        } else {
            ++it;
        }
    }
    while (!m_evidence_reported.empty() && m_evidence_reported.begin()->first <= gc) {
        m_evidence_reported.erase(m_evidence_reported.begin());
    }
    // Own certificates that can no longer be committed: their batches go into a new header.
    std::vector<Digest> stale;
    while (!m_own_proposed.empty() && m_own_proposed.begin()->first <= gc) {
        auto& digests = m_own_proposed.begin()->second;
        stale.insert(stale.end(), digests.begin(), digests.end());
        m_own_proposed.erase(m_own_proposed.begin());
    }
    if (!stale.empty()) requeue(stale);
    if (m_header && !m_header_certified && m_round <= gc) m_header_certified = true;
    if (m_verified_headers.size() > verified_cache_max / 2) m_verified_headers.clear();
}

}  // namespace fleek::consensus
