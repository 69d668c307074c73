package io.bimm.flink.ingest;

import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.VideoClip;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a small set of clips flowing for a demo or an evaluation: whenever the training job's
 * consumer group has fewer than {@code lowWater} records left to read, it produces the clips again
 * as a new epoch, with metadata {@code bimm.draw = epoch} so every pass gets new crops and masks
 * (SPEC 1, 3).
 *
 * <p>The lag comes from the offsets the group has committed, and a Flink Kafka source commits them
 * only when a Flink checkpoint completes: between checkpoints the committed total is stale, and a
 * job faster than one epoch per checkpoint interval would sit idle waiting for the next epoch. So
 * the feeder counts as read what the pace between the last two commits says has been read since
 * ({@link ConsumptionEstimate}), and keeps at least {@link #BUFFER_SECONDS} of reading at that pace
 * unread; a run of known length says how many records it will read ({@link #ahead}), which the
 * feeder produces at once (up to {@link #MAX_AHEAD_BYTES} of clips).
 */
public final class EpochFeeder implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EpochFeeder.class);

    /** Metadata key of the draw index the preprocessing reads. */
    public static final String DRAW_KEY = "bimm.draw";

    /** Seconds of reading, at the pace the commits show, the feeder keeps unread at least. */
    static final double BUFFER_SECONDS = 10;

    /** The most clip bytes {@link #ahead} produces at once; the lag rule feeds the rest. */
    public static final long MAX_AHEAD_BYTES = 1L << 30;

    private final List<VideoClip> clips;
    private final String bootstrap;
    private final String topic;
    private final String groupId;
    private final long lowWater;
    private final AtomicLong epochs = new AtomicLong(1);
    private long ahead;
    private volatile boolean running = true;
    private Thread thread;

    public EpochFeeder(
            List<VideoClip> clips, String bootstrap, String topic, String groupId, long lowWater) {
        this.clips = List.copyOf(clips);
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.groupId = groupId;
        this.lowWater = lowWater;
    }

    /**
     * Produces, as soon as the feeder starts, the epochs that {@code records} records take,
     * counting the clips already ingested as the first epoch. For a run that will read at most that
     * many (a training job with {@code train.max-steps}: steps times batch size); 0 for none.
     */
    public EpochFeeder ahead(long records) {
        if (records < 0) {
            throw new IllegalArgumentException("records must not be negative: " + records);
        }
        this.ahead = records;
        return this;
    }

    /** Starts feeding in a daemon thread. */
    public EpochFeeder start() {
        thread = new Thread(this, "bimm-epoch-feeder");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /** Epochs produced so far, counting the first ingest. */
    public long epochs() {
        return epochs.get();
    }

    @Override
    public void run() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        Properties pp = new Properties();
        pp.put("bootstrap.servers", bootstrap);
        pp.put("max.request.size", Integer.toString(17 * 1024 * 1024));
        pp.put("enable.idempotence", "true");
        pp.put("max.in.flight.requests.per.connection", "1");
        AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
        try (Admin admin = Admin.create(p);
                KafkaProducer<String, byte[]> producer =
                        new KafkaProducer<>(
                                pp, new StringSerializer(), new ByteArraySerializer())) {
            long upfront = upfrontEpochs();
            if (epochs.get() < upfront) {
                long first = epochs.get();
                while (running && epochs.get() < upfront) {
                    produceEpoch(producer, codec);
                }
                LOG.info(
                        "Produced epochs {}-{} ({} clips each) ahead of the run",
                        first,
                        epochs.get() - 1,
                        clips.size());
            }
            ConsumptionEstimate read = new ConsumptionEstimate();
            long start = System.nanoTime();
            while (running) {
                long[] offsets = offsets(admin);
                if (offsets != null) {
                    double now = (System.nanoTime() - start) / 1e9;
                    read.observe(now, offsets[1]);
                    // at least BUFFER_SECONDS of reading at the pace seen stays unread
                    double low = Math.max(lowWater, read.rate() * BUFFER_SECONDS);
                    if (offsets[0] - read.consumed(now) < low) {
                        long epoch = produceEpoch(producer, codec);
                        LOG.info("Produced epoch {} ({} clips)", epoch, clips.size());
                    }
                }
                Thread.sleep(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (running) {
                LOG.warn("Epoch feeder stopped: {}", e.toString());
            }
        }
    }

    /** Epochs to produce at once, counting the first: those {@link #ahead} asks for, capped. */
    long upfrontEpochs() {
        if (clips.isEmpty() || ahead == 0) {
            return 0;
        }
        long epochBytes = 0;
        for (VideoClip c : clips) {
            epochBytes += c.getData().remaining();
        }
        long wanted = (ahead + clips.size() - 1) / clips.size();
        return Math.min(wanted, Math.max(1, MAX_AHEAD_BYTES / Math.max(1, epochBytes)));
    }

    /** Produces every clip once more, as the next epoch's draw; returns that epoch. */
    private long produceEpoch(KafkaProducer<String, byte[]> producer, AvroCodec<VideoClip> codec) {
        long epoch = epochs.getAndIncrement();
        for (VideoClip c : clips) {
            Map<String, String> meta = new HashMap<>(c.getMetadata());
            meta.put(DRAW_KEY, Long.toString(epoch));
            VideoClip again = VideoClip.newBuilder(c).setMetadata(meta).build();
            producer.send(new ProducerRecord<>(topic, c.getClipId(), codec.encode(again)));
        }
        producer.flush();
        return epoch;
    }

    /** The topic's end offsets and the group's committed offsets, each summed; null on error. */
    private long[] offsets(Admin admin) {
        try {
            Set<TopicPartition> parts = new java.util.HashSet<>();
            admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get()
                    .get(topic)
                    .partitions()
                    .forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            parts.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            var ends = admin.listOffsets(latest).all().get();
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get();
            long end = 0;
            long done = 0;
            for (TopicPartition tp : parts) {
                OffsetAndMetadata c = committed.get(tp);
                end += ends.get(tp).offset();
                done += c == null ? 0 : c.offset();
            }
            return new long[] {end, done};
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
