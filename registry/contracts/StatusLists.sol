// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {DIDRegistry} from "./DIDRegistry.sol";

/// @title Stele status-list publication
/// @notice An issuer publishes the latest encoded Bitstring Status List of
/// one of its lists as an event. Only the issuer DID's current owner, or a
/// valid `veriKey` delegate of it, may publish. Versions strictly increase;
/// each event names the block of the list's previous publication, so a
/// verifier can find the latest with one call and one log query.
contract StatusLists {
    DIDRegistry public immutable registry;

    /// identity => listId => block number of the latest publication.
    mapping(address => mapping(bytes32 => uint256)) public published;
    /// identity => listId => latest version.
    mapping(address => mapping(bytes32 => uint64)) public version;

    event StatusListPublished(
        address indexed identity, bytes32 indexed listId, uint64 version, bytes encodedList, uint256 previousPublication
    );

    constructor(DIDRegistry registry_) {
        registry = registry_;
    }

    function publish(address identity, bytes32 listId, uint64 newVersion, bytes calldata encodedList) external {
        require(
            msg.sender == registry.identityOwner(identity) || registry.validDelegate(identity, "veriKey", msg.sender),
            "bad_actor"
        );
        require(newVersion > version[identity][listId], "stale_version");
        require(encodedList.length > 0, "empty_list");
        emit StatusListPublished(identity, listId, newVersion, encodedList, published[identity][listId]);
        version[identity][listId] = newVersion;
        published[identity][listId] = block.number;
    }
}
