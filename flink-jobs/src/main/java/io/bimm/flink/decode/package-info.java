/** Decoding a clip's container bytes and sampling its frames per SPEC section 1. */
package io.bimm.flink.decode;
