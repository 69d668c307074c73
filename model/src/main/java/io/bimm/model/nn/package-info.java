/** DJL building blocks of the BIMM encoders and decoders (SPEC 4). */
package io.bimm.model.nn;
