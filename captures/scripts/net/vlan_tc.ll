; tc/eBPF programs for vlan.sh (kernel has no 8021q and no act_vlan). Compile: llc -march=bpf -filetype=obj vlan_tc.ll -o vlan_tc.o
; push100/push200: bpf_skb_vlan_push(skb, htons(0x8100), 100|200) (helper 18); qinq: push C-tag 100 then S-tag 802.1ad 300;
; pop2: bpf_skb_vlan_pop (helper 19) twice. All return TC_ACT_OK (0).
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpf"

@_license = dso_local global [4 x i8] c"GPL\00", section "license", align 1

define dso_local i32 @push100(i8* %skb) section "lmA_push100" {
  %f = inttoptr i64 18 to i64 (i8*, i32, i32)*
  %r = call i64 %f(i8* %skb, i32 129, i32 100)
  ret i32 0
}
define dso_local i32 @push200(i8* %skb) section "lmA_push200" {
  %f = inttoptr i64 18 to i64 (i8*, i32, i32)*
  %r = call i64 %f(i8* %skb, i32 129, i32 200)
  ret i32 0
}
define dso_local i32 @qinq(i8* %skb) section "lmA_qinq" {
  %f = inttoptr i64 18 to i64 (i8*, i32, i32)*
  %r1 = call i64 %f(i8* %skb, i32 129, i32 100)
  %r2 = call i64 %f(i8* %skb, i32 43144, i32 300)
  ret i32 0
}
define dso_local i32 @pop2(i8* %skb) section "lmA_pop2" {
  %f = inttoptr i64 19 to i64 (i8*)*
  %r1 = call i64 %f(i8* %skb)
  %r2 = call i64 %f(i8* %skb)
  ret i32 0
}
@llvm.used = appending global [5 x i8*] [i8* getelementptr ([4 x i8], [4 x i8]* @_license, i32 0, i32 0), i8* bitcast (i32 (i8*)* @push100 to i8*), i8* bitcast (i32 (i8*)* @push200 to i8*), i8* bitcast (i32 (i8*)* @qinq to i8*), i8* bitcast (i32 (i8*)* @pop2 to i8*)], section "llvm.metadata"
