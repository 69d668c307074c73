/** Avro records on bimm-stream's Kafka topics, their single-object codecs and serdes. */
package io.bimm.schemas;
