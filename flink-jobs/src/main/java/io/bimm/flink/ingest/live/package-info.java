/**
 * {@code bimm ingest --follow}: live video sources and watched folders, cut and produced as they
 * come.
 */
package io.bimm.flink.ingest.live;
