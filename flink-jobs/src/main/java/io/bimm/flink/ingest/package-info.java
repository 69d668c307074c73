/** Turning video and image files into Avro records on Kafka topics ({@code bimm ingest}). */
package io.bimm.flink.ingest;
