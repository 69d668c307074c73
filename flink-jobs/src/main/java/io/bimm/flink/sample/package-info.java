/** The training sample record, its Flink serializer, and the fused preprocessing operator. */
package io.bimm.flink.sample;
