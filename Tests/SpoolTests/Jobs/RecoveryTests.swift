import Foundation
import Spool
import Testing

@Suite("Recovery")
struct RecoveryTests {
    func claimed(_ spool: ScratchSpool, worker: WorkerName) throws -> JobRequest {
        let queue = SpoolQueue(layout: spool.layout)
        let request = JobRequest(command: "true", priority: .sync)
        try queue.submit(request)
        try FileSystem.makeDirectory(spool.layout.active(worker: worker))
        #expect(try queue.claim(QueueEntry(id: request.job, priority: .sync), worker: worker))
        try FileSystem.makeDirectory(spool.layout.job(request.job))
        return request
    }

    @Test("a claimed request that never started goes back to its queue")
    func requeue() throws {
        let spool = try ScratchSpool()
        let dead = WorkerName("dead")!
        let request = try claimed(spool, worker: dead)
        let outcomes = Recovery(layout: spool.layout).sweepDeadWorkers()
        #expect(outcomes[request.job] == .requeued)
        #expect(FileSystem.exists(spool.layout.queued(request.job, .sync)))
        #expect(!FileSystem.exists(spool.layout.active(worker: dead)))
    }

    @Test("a job whose supervisor recorded an exit is finished with it")
    func finishFromExit() throws {
        let spool = try ScratchSpool()
        let dead = WorkerName("dead")!
        let request = try claimed(spool, worker: dead)
        let exit = "{\"pid\":1,\"exitCode\":3,\"signal\":null,\"timedOut\":false,\"cancelled\":false,\"startedAtNs\":1,\"finishedAtNs\":2}"
        try Data(exit.utf8).write(to: URL(fileURLWithPath: spool.layout.job(request.job, .exit)))
        #expect(Recovery(layout: spool.layout).sweepDeadWorkers()[request.job] == .finished(.failed))
        let status = try #require(try JobRecords(layout: spool.layout).status(request.job))
        #expect(status.exitCode == 3)
        #expect(FileSystem.exists(spool.layout.done(request.job)))
    }

    @Test("a job that started but whose end nobody recorded is lost, not rerun")
    func lost() throws {
        let spool = try ScratchSpool()
        let dead = WorkerName("dead")!
        let request = try claimed(spool, worker: dead)
        try JobRecords(layout: spool.layout).writeStatus(JobStatus(job: request.job, state: .running, priority: .sync,
            worker: dead, pid: 1, createdAt: request.createdAt, startedAt: .now))
        #expect(Recovery(layout: spool.layout).sweepDeadWorkers()[request.job] == .finished(.lost))
        #expect(try JobRecords(layout: spool.layout).status(request.job)?.reason?.contains("died") == true)
    }

    @Test("a job whose supervisor still holds its lock is left running; a live worker's folder is not touched")
    func stillRunning() throws {
        let spool = try ScratchSpool()
        let dead = WorkerName("dead")!
        let request = try claimed(spool, worker: dead)
        let lock = try #require(try FileLock.tryAcquire(spool.layout.job(request.job), create: false))
        #expect(Recovery(layout: spool.layout).sweepDeadWorkers()[request.job] == .stillRunning)
        withExtendedLifetime(lock) {}
        let alive = WorkerName("alive")!
        let other = try claimed(spool, worker: alive)
        let workerLock = try #require(try FileLock.tryAcquire(spool.layout.workerLock(alive)))
        #expect(Recovery(layout: spool.layout).sweepDeadWorkers()[other.job] == nil)
        withExtendedLifetime(workerLock) {}
    }
}
