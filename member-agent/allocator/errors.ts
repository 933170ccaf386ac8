/**
 * The allocator's words: condition types, reasons and event reasons. Reasons are stable (tests,
 * alerts and `kubectl get events --field-selector reason=…` rely on them); messages say what
 * happened and what to do. MetalLB's event reasons are kept where MetalLB has one.
 */

/** Conditions the allocator sets on Services it serves. */
export const ServiceConditions = {
  /** True when the Service holds the addresses it asked for. */
  IPAllocated: 'fleetlb.io/IPAllocated',
  /** False when a Service keeps an address that its pool no longer contains (or the pool is gone). */
  AddressInPool: 'fleetlb.io/AddressInPool',
} as const;

/** Reasons of ServiceConditions.IPAllocated (and of the AllocationFailed event). */
export const AllocationReasons = {
  Allocated: 'IPAllocated',
  /** Not decided yet (only seen between a change and its reconcile). */
  Pending: 'Pending',
  /** metallb.io/address-pool names a pool that does not exist in the controller's namespace. */
  PoolNotFound: 'PoolNotFound',
  /** The named pool exists but may not hand out addresses (bad entries, overlap). */
  PoolUnusable: 'PoolUnusable',
  PoolExhausted: 'PoolExhausted',
  /** No pool offers the address families this Service needs, or none may serve it. */
  NoMatchingPool: 'NoMatchingPool',
  InvalidAnnotation: 'InvalidAnnotation',
  /** The requested addresses do not fit the Service's ipFamilies / ipFamilyPolicy. */
  IPFamilyMismatch: 'IPFamilyMismatch',
  /** A requested address is held by a Service it may not share with. */
  IPInUse: 'IPInUse',
  /** A requested address is in no (usable) pool, or not in the pool the Service names. */
  IPNotInPool: 'IPNotInPool',
  /** A requested address ends in .0 or .255 and its pool has avoidBuggyIPs. */
  IPNotAllowed: 'IPNotAllowed',
} as const;

export type AllocationReason = (typeof AllocationReasons)[keyof typeof AllocationReasons];

/** Reasons of ServiceConditions.AddressInPool. */
export const AddressReasons = {
  InPool: 'AddressInPool',
  /** The pool was edited and no longer contains the address; the Service keeps it. */
  OutsidePool: 'AddressOutsidePool',
  /** The pool was deleted; the Service keeps the address. */
  PoolDeleted: 'PoolDeleted',
  /** The address (from status, e.g. after a migration) is in no pool at all. */
  NoPool: 'AddressInNoPool',
} as const;

/** Event reasons. */
export const EventReasons = {
  IPAllocated: 'IPAllocated',
  AllocationFailed: 'AllocationFailed',
  /** MetalLB's reason for the metallb.universe.tf/* annotation names. */
  DeprecatedAnnotation: 'deprecatedAnnotation',
  /** An address was given up because of a change to this Service (MetalLB's reason). */
  ClearAssignment: 'ClearAssignment',
  /** On restart two Services claimed one address they may not share; the younger gives it up. */
  IPConflict: 'IPConflict',
  ...AddressReasons,
  PoolInvalid: 'PoolInvalid',
  PoolValid: 'PoolValid',
  AddressesOutsideRanges: 'AddressesOutsideRanges',
} as const;

/** Conditions on IPAddressPools. */
export const PoolConditions = {
  /** True when the pool may hand out new addresses. */
  Ready: 'Ready',
  /** True while Services hold addresses of this pool that are outside its current ranges. */
  AddressesOutsideRanges: 'AddressesOutsideRanges',
} as const;

export const PoolReasons = {
  Valid: 'Valid',
  InvalidAddresses: 'InvalidAddresses',
  OverlappingAddresses: 'OverlappingAddresses',
  ServicesHoldRemovedAddresses: 'ServicesHoldRemovedAddresses',
  AllAddressesInRanges: 'AllAddressesInRanges',
} as const;
