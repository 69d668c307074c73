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
 */
public final class EpochFeeder implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EpochFeeder.class);

    /** Metadata key of the draw index the preprocessing reads. */
    public static final String DRAW_KEY = "bimm.draw";

    private final List<VideoClip> clips;
    private final String bootstrap;
    private final String topic;
    private final String groupId;
    private final long lowWater;
    private final AtomicLong epochs = new AtomicLong(1);
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
            while (running) {
                if (lag(admin) < lowWater) {
                    long epoch = epochs.getAndIncrement();
                    for (VideoClip c : clips) {
                        Map<String, String> meta = new HashMap<>(c.getMetadata());
                        meta.put(DRAW_KEY, Long.toString(epoch));
                        VideoClip again = VideoClip.newBuilder(c).setMetadata(meta).build();
                        producer.send(
                                new ProducerRecord<>(topic, c.getClipId(), codec.encode(again)));
                    }
                    producer.flush();
                    LOG.info("Produced epoch {} ({} clips)", epoch, clips.size());
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
