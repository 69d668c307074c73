/** The embedded single-node KRaft Kafka broker and topic administration. */
package io.bimm.flink.kafka;
