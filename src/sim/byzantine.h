// The simulator's Byzantine behaviours (sim.h, Byzantine): a Byzantine node runs the honest code
// and the Adversary rewrites what it sends, drops it, delays it or adds junk to it.
#pragma once

#include "consensus/rng.h"
#include "consensus/signature.h"
#include "sim/sim.h"

#include <map>
#include <memory>
#include <set>
#include <vector>

namespace fleek::sim {

struct Send {
    AuthorityIndex from = 0;
    AuthorityIndex to = 0;
    consensus::Plane plane = consensus::Plane::primary;
    Bytes bytes;
    TimeUs delay_us = 0;    // before it enters the network
    bool loopback = false;  // delivered after delay_us without the network (a fake answer to itself)
};

class Adversary {
public:
    // `signers[i]` signs as member i. The cross-epoch replayer uses them to sign certificates for
    // the previous epoch (same members, same keys): a stronger adversary than one that replays
    // recorded certificates, since it can certify any header there.
    Adversary(const Scenario& scenario, const consensus::Committee& committee,
              std::vector<std::shared_ptr<const consensus::SignatureScheme>> signers);

    std::vector<Send> rewrite(AuthorityIndex me, Byzantine behaviour, consensus::Outbound out, consensus::Rng& rng);

    // Clock offset a timestamp-abusing node runs with (added to its local clock).
    static TimeUs abuse_offset_us(const Scenario& scenario, AuthorityIndex node);

private:
    consensus::Certificate previous_epoch_twin(const consensus::Certificate& certificate);
    Bytes junk(AuthorityIndex me, consensus::Rng& rng, consensus::Plane& plane);
    void resign(AuthorityIndex me, consensus::Header& header) const;

    const Scenario& m_s;
    const consensus::Committee& m_committee;
    std::unique_ptr<consensus::Committee> m_previous;
    std::vector<std::shared_ptr<const consensus::SignatureScheme>> m_signers;
    std::map<AuthorityIndex, std::set<AuthorityIndex>> m_withheld;  // withhold_from_some: who gets nothing
    std::map<consensus::Digest, consensus::Certificate> m_twins;
};

}  // namespace fleek::sim
