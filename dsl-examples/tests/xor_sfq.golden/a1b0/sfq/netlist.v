// spikec SFQ netlist: top `xor_sfq`, technology `mitll-sfq5ee-rsfq`

module merger2 (in0, in1, out0);
  input in0;
  input in1;
  output out0;

  MERGE merge_l0_0 (.a(in0), .b(in1), .q(out0));
endmodule

module p_H_and (in2, in3, in4, out6);
  input in2;
  input in3;
  input in4;
  output out6;
  wire n0a;
  wire syn2q;
  wire syn3q;
  wire syn4q;

  (* lkbias_ua = "145" *)
  (* thbias_ua = "235" *)
  NEURON n0 (.a(n0a), .ainh(syn4q), .q(out6));
  (* wbias_ua = "136" *)
  SYNAPSE syn2 (.a(in2), .q(syn2q));
  (* wbias_ua = "136" *)
  SYNAPSE syn3 (.a(in3), .q(syn3q));
  (* wbias_ua = "136" *)
  SYNAPSE syn4 (.a(in4), .q(syn4q));
  merger2 mex0 (.in0(syn2q), .in1(syn3q), .out0(n0a));
endmodule

module p_H_or (in0, in1, out5);
  input in0;
  input in1;
  output out5;
  wire n0a;
  wire syn0q;
  wire syn1q;

  (* lkbias_ua = "145" *)
  (* thbias_ua = "235" *)
  NEURON n0 (.a(n0a), .ainh(), .q(out5));
  (* wbias_ua = "136" *)
  SYNAPSE syn0 (.a(in0), .q(syn0q));
  (* wbias_ua = "136" *)
  SYNAPSE syn1 (.a(in1), .q(syn1q));
  merger2 mex0 (.in0(syn0q), .in1(syn1q), .out0(n0a));
endmodule

module p_Out (in5, in6, mon0);
  input in5;
  input in6;
  output mon0;
  wire syn5q;
  wire syn6q;

  (* lkbias_ua = "145" *)
  (* thbias_ua = "235" *)
  NEURON n0 (.a(syn5q), .ainh(syn6q), .q(mon0));
  (* wbias_ua = "129.3" *)
  SYNAPSE syn5 (.a(in5), .q(syn5q));
  (* wbias_ua = "136" *)
  SYNAPSE syn6 (.a(in6), .q(syn6q));
endmodule

module splitter2 (in0, out0, out1);
  input in0;
  output out0;
  output out1;

  SPLIT split_l0_0 (.a(in0), .q0(out0), .q1(out1));
endmodule

module xor_sfq (A_0, B_0, Bias_0, Out_0);
  input A_0;
  input B_0;
  input Bias_0;
  output Out_0;
  wire dc0q;
  wire dc1q;
  wire l0;
  wire l1;
  wire l2;
  wire l3;
  wire l4;
  wire l5;
  wire l6;
  wire m5;

  DCSFQ dc0 (.a(A_0), .q(dc0q));
  DCSFQ dc1 (.a(B_0), .q(dc1q));
  DCSFQ dc2 (.a(Bias_0), .q(l4));
  SFQDC do5 (.a(m5), .q(Out_0));
  splitter2 fo0 (.in0(dc0q), .out0(l0), .out1(l2));
  splitter2 fo1 (.in0(dc1q), .out0(l1), .out1(l3));
  p_H_and u_H_and (.in2(l2), .in3(l3), .in4(l4), .out6(l6));
  p_H_or u_H_or (.in0(l0), .in1(l1), .out5(l5));
  p_Out u_Out (.in5(l5), .in6(l6), .mon0(m5));
endmodule
