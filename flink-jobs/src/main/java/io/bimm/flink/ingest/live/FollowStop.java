package io.bimm.flink.ingest.live;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The one stop signal of a follow run (Ctrl-C, {@code --stop-after}): ends waits at once. */
final class FollowStop {

    private final CountDownLatch latch = new CountDownLatch(1);

    void stop() {
        latch.countDown();
    }

    boolean stopped() {
        return latch.getCount() == 0;
    }

    /**
     * Waits {@code d}, or less if stopped meanwhile.
     *
     * @return whether it was stopped
     */
    boolean sleep(Duration d) {
        try {
            return latch.await(Math.max(0, d.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            return true;
        }
    }
}
