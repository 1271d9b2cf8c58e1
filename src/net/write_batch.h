// Frames one thread sends while a WriteBatch lives go out together: the transport wakes its I/O
// thread once, when the batch ends, instead of at the first frame. A reply of several frames (a
// content transfer's file message and its first block) is then written as one buffer list, not
// its first few bytes alone followed by a second write round for the rest (which cost a miss's
// time to first byte about 150 us on loopback, docs/benchmarks.md "Edge: fetch on a miss").
//
// Per thread, nestable (the outermost batch wakes the writers). It never blocks and changes no
// answer of send()/send_frame(): a frame is queued (or refused) as without a batch; a write the
// batch would start starts at its end (a write already running still takes what is queued when
// it completes). Keep a batch short (one message handled); every transport a
// frame went to must outlive it.
#pragma once

namespace fleek::net {

class WriteBatch {
public:
    WriteBatch() noexcept;
    ~WriteBatch();
    WriteBatch(const WriteBatch&) = delete;
    WriteBatch& operator=(const WriteBatch&) = delete;
};

}  // namespace fleek::net
