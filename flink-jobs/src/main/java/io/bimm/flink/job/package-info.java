/** The Flink jobs' building blocks: Kafka sources and sinks, record decoding, job graphs. */
package io.bimm.flink.job;
