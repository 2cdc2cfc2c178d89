/// System call numbers for reading and for waiting on descriptors, per architecture.
enum SyscallNumbers {
    #if arch(x86_64)
    /// read, readv, pread64, preadv, preadv2
    static let reads: Set<Int> = [0, 19, 17, 295, 327]
    /// poll, select, pselect6, ppoll, epoll_wait, epoll_pwait, epoll_pwait2
    static let waits: Set<Int> = [7, 23, 270, 271, 232, 281, 441]
    #elseif arch(arm64)
    static let reads: Set<Int> = [63, 65, 67, 69, 286]
    static let waits: Set<Int> = [72, 73, 22, 441]
    #else
    static let reads: Set<Int> = []
    static let waits: Set<Int> = []
    #endif
}
