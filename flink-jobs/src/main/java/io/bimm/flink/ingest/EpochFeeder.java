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
 * only when a Flink checkpoint completes: between checkpoints the lag the feeder sees is stale, and
 * a job faster than one epoch per checkpoint interval would sit idle waiting for the next epoch. A
 * run of known length therefore says how many records it will read ({@link #ahead}), and the feeder
 * produces that many epochs at once (up to {@link #MAX_AHEAD_BYTES} of clips) before it falls back
 * to the lag rule.
 */
public final class EpochFeeder implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EpochFeeder.class);

    /** Metadata key of the draw index the preprocessing reads. */
    public static final String DRAW_KEY = "bimm.draw";

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
            while (running && epochs.get() < upfront) {
                produceEpoch(producer, codec);
            }
            while (running) {
                if (lag(admin) < lowWater) {
                    produceEpoch(producer, codec);
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

    /** Produces every clip once more, as the next epoch's draw. */
    private void produceEpoch(KafkaProducer<String, byte[]> producer, AvroCodec<VideoClip> codec) {
        long epoch = epochs.getAndIncrement();
        for (VideoClip c : clips) {
            Map<String, String> meta = new HashMap<>(c.getMetadata());
            meta.put(DRAW_KEY, Long.toString(epoch));
            VideoClip again = VideoClip.newBuilder(c).setMetadata(meta).build();
            producer.send(new ProducerRecord<>(topic, c.getClipId(), codec.encode(again)));
        }
        producer.flush();
        LOG.info("Produced epoch {} ({} clips)", epoch, clips.size());
    }

    /** Records of the topic the group has not committed yet. */
    private long lag(Admin admin) {
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
            long lag = 0;
            for (TopicPartition tp : parts) {
                OffsetAndMetadata c = committed.get(tp);
                lag += ends.get(tp).offset() - (c == null ? 0 : c.offset());
            }
            return lag;
        } catch (Exception e) {
            return Long.MAX_VALUE;
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
