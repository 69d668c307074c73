package io.bimm.flink.job;

import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterFitter;
import io.bimm.schemas.OriginalBytesState;
import java.time.Duration;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InterruptException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link DeadLetterSink}'s writer: fits each letter to the topic, sends it, and counts the
 * outcome. A failed send is counted ({@code deadLettersFailed}) and logged, never thrown.
 *
 * <p>Metrics, in the sink operator's group: {@code deadLettersSent}, {@code deadLettersFailed},
 * {@code deadLettersTruncated} and {@code deadLettersOmitted} (original bytes cut or left out to
 * fit the topic's {@code max.message.bytes}).
 */
final class DeadLetterWriter implements SinkWriter<DeadLetter> {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterWriter.class);

    /** At most one failure line per this interval; the others are counted in the next line. */
    private static final long LOG_EVERY_NANOS = Duration.ofSeconds(10).toNanos();

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final DeadLetterFitter fitter;
    // Incremented from the producer's I/O thread (send callbacks).
    private final Counter sent = new ThreadSafeSimpleCounter();
    private final Counter failed = new ThreadSafeSimpleCounter();
    private final Counter truncated;
    private final Counter omitted;
    private long lastLogNanos;
    private long unlogged;

    DeadLetterWriter(
            Producer<byte[], byte[]> producer,
            String topic,
            DeadLetterFitter fitter,
            MetricGroup metrics) {
        this.producer = producer;
        this.topic = topic;
        this.fitter = fitter;
        metrics.counter("deadLettersSent", sent);
        metrics.counter("deadLettersFailed", failed);
        this.truncated = metrics.counter("deadLettersTruncated");
        this.omitted = metrics.counter("deadLettersOmitted");
        this.lastLogNanos = System.nanoTime() - LOG_EVERY_NANOS;
    }

    @Override
    public void write(DeadLetter letter, Context context) {
        DeadLetterFitter.Fitted f = fitter.fit(letter, 0);
        if (f.letter().getOriginalBytesState() == OriginalBytesState.TRUNCATED) {
            truncated.inc();
        } else if (f.letter().getOriginalBytesState() == OriginalBytesState.OMITTED) {
            omitted.inc();
        }
        DeadLetter d = f.letter();
        try {
            producer.send(
                    new ProducerRecord<>(topic, null, f.value()),
                    (metadata, e) -> {
                        if (e == null) {
                            sent.inc();
                        } else {
                            failed(d, e);
                        }
                    });
        } catch (InterruptException e) {
            throw e;
        } catch (RuntimeException e) {
            failed(d, e);
        }
    }

    /** Waits for every letter sent so far: before a checkpoint and at the end of the input. */
    @Override
    public void flush(boolean endOfInput) {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }

    private void failed(DeadLetter d, Exception e) {
        failed.inc();
        long skipped;
        synchronized (this) {
            long now = System.nanoTime();
            if (now - lastLogNanos < LOG_EVERY_NANOS) {
                unlogged++;
                return;
            }
            lastLogNanos = now;
            skipped = unlogged;
            unlogged = 0;
        }
        LOG.warn(
                "Cannot send the dead letter of {} ({} at {}-{}@{}, {} of {} original bytes) to"
                        + " {}: {}. Counted in deadLettersFailed; {} more failed since the last"
                        + " such line.",
                d.getSourceUri(),
                d.getReasonCode(),
                d.getTopic(),
                d.getPartition(),
                d.getOffset(),
                d.getOriginalBytes().remaining(),
                d.getOriginalSize(),
                topic,
                e.toString(),
                skipped);
    }
}
