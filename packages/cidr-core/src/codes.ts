// The machine-readable codes of every failure cidr-core returns. The message says what was wrong and what to do (for
// people); the code says which kind of failure it is (for programs): callers switch on codes, never on messages.

/** Why `parseAddress` or `parsePrefix` refused a text (a wrapped parse error keeps the code of its cause). */
export type ParseErrorCode =
  /** Nothing was given. */
  | 'EMPTY'
  /** The address (or the address part of a prefix) is not a strict IPv4 or IPv6 address. */
  | 'INVALID_ADDRESS'
  /** No single `/` between address and length. */
  | 'NOT_A_PREFIX'
  /** The length is not a decimal from 0 to 32 (IPv4) or 128 (IPv6) without leading zeros. */
  | 'INVALID_PREFIX_LENGTH'
  /** Bits below the prefix length are set (and normalising was not asked for). */
  | 'HOST_BITS_SET';

/** Why block arithmetic (`subPrefix`, `rangeToPrefixes`) refused its arguments. */
export type PrefixErrorCode =
  /** `subPrefix`: the extra bits do not fit the family, or the index is not below 2^extraBits. */
  | 'OUT_OF_RANGE'
  /** Addresses or prefixes of different families. */
  | 'FAMILY_MISMATCH'
  /** `rangeToPrefixes`: the range ends before it starts. */
  | 'INVALID_RANGE';

/** Why a `RangeAllocator` refused (`fromPool` also returns the `ParseErrorCode` of a bad podCIDR or exclude). */
export type AllocatorErrorCode =
  /** `allocate`: every usable address is allocated or reserved. */
  | 'EXHAUSTED'
  /** The address is not in the pool's block. */
  | 'OUT_OF_BLOCK'
  /** The network address of the block, never handed out. */
  | 'NETWORK_ADDRESS'
  /** The broadcast address of an IPv4 block, never handed out. */
  | 'BROADCAST_ADDRESS'
  /** Excluded or reserved. */
  | 'RESERVED'
  /** Already allocated (and not released). */
  | 'ALREADY_ALLOCATED'
  /** `reserve`: a range of the other family. */
  | 'FAMILY_MISMATCH'
  /** `reserve`: the range does not overlap the block. */
  | 'NO_OVERLAP';

/** Why `allocateSpecific` refused one address. */
export type AllocateSpecificErrorCode = Extract<
  AllocatorErrorCode,
  'OUT_OF_BLOCK' | 'NETWORK_ADDRESS' | 'BROADCAST_ADDRESS' | 'RESERVED' | 'ALREADY_ALLOCATED'
>;

/** Why `hostLocalRange` gave no range (a field that does not parse keeps its `ParseErrorCode`). */
export type HostLocalErrorCode =
  | ParseErrorCode
  /** Explicit settings give this host interface no subnet at any level. */
  | 'NO_SUBNET'
  /** rangeStart, rangeEnd or gateway is not a usable address of the subnet. */
  | 'NOT_USABLE'
  /** The pool's podCIDR is not inside its vlanCIDR. */
  | 'NOT_INSIDE'
  /** The block or subnet has no usable address (a /32, a /31 …). */
  | 'NO_USABLE_ADDRESS'
  /** rangeStart is after rangeEnd. */
  | 'RANGE_INVERTED'
  /** Excludes cover every address of the range. */
  | 'ALL_EXCLUDED';

/** The kind of a `PlanProblem`. */
export type PlanProblemCode =
  /** config.interfaceBlock or config.hostBlock is not an integer from 0 to 52. Nothing was planned. */
  | 'INVALID_BLOCK_BITS'
  /** config.subnet, masterNets or excludeCIDRs holds something that is not a strict CIDR. Nothing was planned. */
  | 'INVALID_CIDR'
  /** The subnet split by interfaceBlock and hostBlock leaves pod blocks without an address. Nothing was planned. */
  | 'NO_ROOM_FOR_PODS'
  /** A host without a name (ignored). */
  | 'EMPTY_HOST_NAME'
  /** A host lists one interface name more than once (all of them ignored). */
  | 'DUPLICATE_INTERFACE'
  /** A NIC's netAddress, hostIP or gateway is invalid (the NIC is ignored). */
  | 'INVALID_NIC'
  /** Capacity: more networks than 2^interfaceBlock (less the excluded ones). */
  | 'NO_INTERFACE_INDEX'
  /** Capacity: more hosts on a network than 2^hostBlock (less the unusable ones). */
  | 'NO_HOST_INDEX'
  /** Capacity, host-subnet mode: a NIC network is too small for hostBlock. */
  | 'NETWORK_TOO_SMALL'
  /**
   * `computeFamilyPlans`: a NIC (or a master network) on a planned NIC network has no address of a planned family,
   * so that family gives it no block (an IPv6 master network on a host without IPv6).
   */
  | 'NO_FAMILY_ADDRESS';

/** Every code a cidr-core failure or plan problem can carry. */
export type CidrErrorCode =
  ParseErrorCode | PrefixErrorCode | AllocatorErrorCode | HostLocalErrorCode | PlanProblemCode;
