// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Stele audit anchors
/// @notice A verifier service periodically publishes the head hash of its
/// hash-chained audit log and the number of records in it, so that a later
/// rewrite of the log can be detected by anyone.
contract AuditAnchors {
    /// verifier account => block of its latest anchor.
    mapping(address => uint256) public latest;
    /// verifier account => record count of its latest anchor.
    mapping(address => uint64) public recordCount;

    event AuditAnchored(address indexed verifier, bytes32 headHash, uint64 recordCount, uint256 previousAnchor);

    function anchor(bytes32 headHash, uint64 count) external {
        require(count >= recordCount[msg.sender], "count_decreased");
        emit AuditAnchored(msg.sender, headHash, count, latest[msg.sender]);
        recordCount[msg.sender] = count;
        latest[msg.sender] = block.number;
    }
}
